#include "data/npy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "autograd/api.h"

namespace aime::data {
namespace {

std::string with_header(const std::string& header, const std::string& data, int major = 1) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t n = header.size();
  out += static_cast<char>(n & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  if (major > 1) out += std::string(2, '\0');
  return out + header + data;
}

void expect_bit_exact(const NpyArray& a, const NpyArray& b) {
  EXPECT_EQ(a.data.dtype(), b.data.dtype());
  EXPECT_EQ(a.data.shape(), b.data.shape());
  EXPECT_EQ(a.boolean, b.boolean);
  EXPECT_EQ(std::memcmp(a.data.data_ptr(), b.data.data_ptr(), static_cast<std::size_t>(a.data.numel()) * dtype_size(a.data.dtype())), 0);
}

TEST(Npy, RoundTripIsBitExactForEveryDtype) {
  Generator gen(1);
  const std::vector<NpyArray> arrays = {
      {randn({3, 4}, gen), false},
      {randn({2, 2, 2}, gen, kFloat64), false},
      {tensor({0, 7, 255}, {3}, kUInt8), false},
      {tensor({1, 0, 1}, {3}, kUInt8), true},
      {tensor({-5, 1LL << 40}, {2}, kInt64), false},
      {scalar_tensor(2.5), false},
      {zeros({0, 3}), false},
  };
  for (const auto& a : arrays) expect_bit_exact(parse_npy(serialize_npy(a), "test"), a);
}

TEST(Npy, HeaderIsNumPysLayout) {
  const std::string bytes = serialize_npy({zeros({2, 3}), false});
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t n = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + n) % 64, 0u);
  const std::string header = bytes.substr(10, n);
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0), 0u);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_NE(serialize_npy({zeros({5}), false}).find("'shape': (5,)"), std::string::npos);
  EXPECT_NE(serialize_npy({ones({1}, kUInt8), true}).find("'descr': '|b1'"), std::string::npos);
}

TEST(Npy, ReadsOtherByteOrdersWidthsAndFortranOrder) {
  // >f8 [2]: 1.0 and -2.0 big-endian.
  const std::string be("\x3f\xf0\0\0\0\0\0\0\xc0\0\0\0\0\0\0\0", 16);
  EXPECT_EQ(parse_npy(with_header("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }\n", be), "t").data.to_vector<double>(),
            (std::vector<double>{1.0, -2.0}));
  // <i4 [2] -> int64, sign-extended.
  const std::string i4("\xfe\xff\xff\xff\x07\0\0\0", 8);
  const NpyArray ints = parse_npy(with_header("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", i4), "t");
  EXPECT_EQ(ints.data.dtype(), kInt64);
  EXPECT_EQ(ints.data.to_vector<std::int64_t>(), (std::vector<std::int64_t>{-2, 7}));
  // <f2 [2]: 1.0 (0x3C00) and -0.5 (0xB800) -> float32.
  const std::string f2("\x00\x3c\x00\xb8", 4);
  EXPECT_EQ(parse_npy(with_header("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }\n", f2), "t").data.to_vector<float>(),
            (std::vector<float>{1.0f, -0.5f}));
  // Fortran order [2, 3] of arange(6): the file holds columns 0 3 1 4 2 5.
  std::string col;
  for (double v : {0.0, 3.0, 1.0, 4.0, 2.0, 5.0}) col.append(reinterpret_cast<const char*>(&v), 8);
  const NpyArray f = parse_npy(with_header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }\n", col, 2), "t");
  EXPECT_EQ(f.data.shape(), (Shape{2, 3}));
  EXPECT_EQ(f.data.to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
}

void expect_error(const std::string& bytes, const std::string& mention) {
  try {
    parse_npy(bytes, "3.npz: image.npy");
    FAIL() << "expected an error mentioning " << mention;
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3.npz: image.npy"), std::string::npos) << e.what();
  }
}

TEST(Npy, BadInputFailsNamingTheSourceAndTheProblem) {
  const std::string good = serialize_npy({zeros({2, 3}), false});
  expect_error("PK\x03\x04 not npy", "magic");
  expect_error(good.substr(0, good.size() - 4), "needs 24 bytes, found 20 (truncated)");
  expect_error(good.substr(0, 40), "truncated .npy header");
  std::string v9 = good;
  v9[6] = 9;
  expect_error(v9, "format version 9");
  expect_error(with_header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n", std::string(16, '\0')),
               "unsupported npy dtype '<c16'");
  expect_error(with_header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", std::string(8, '\0')),
               "unsupported npy dtype");
  expect_error(with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", ""), "structured");
  expect_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", ""), "shape");
  expect_error(with_header("{'descr': '<f4', 'shape': (1,), }\n", "1234"), "needs descr, fortran_order and shape");
  expect_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999, 999999999999, 99999), }\n", ""),
               "too large");
}

TEST(Npy, CorruptedBytesNeverCrash) {
  const std::string good = serialize_npy({tensor({1, 2, 3, 4, 5, 6}, {2, 3}), false});
  Generator gen(3);
  const auto r = rand({30000}, gen, kFloat64).to_vector<double>();
  std::size_t k = 0, rejected = 0;
  auto next = [&](std::size_t n) { return static_cast<std::size_t>(r[k++ % r.size()] * static_cast<double>(n)); };
  for (int iter = 0; iter < 5000; ++iter) {
    std::string bytes = good;
    if (iter % 2) bytes.resize(next(bytes.size()));
    else
      for (int j = 0; j < 2; ++j) bytes[next(bytes.size())] = "{}()',:0123456789 <>|fiubTF\x93"[next(29)];
    try {
      parse_npy(bytes, "fuzz");
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": unexpected exception " << e.what();
    }
  }
  EXPECT_GT(rejected, 2500u);
}

}  // namespace
}  // namespace aime::data
