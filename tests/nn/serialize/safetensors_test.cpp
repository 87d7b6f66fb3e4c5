#include "nn/serialize/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "autograd/api.h"
#include "nn/linear.h"

namespace aime::nn {
namespace {

std::string temp_path(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

std::string with_length_prefix(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

StateDict sample_tensors() {
  Generator gen(1);
  StateDict s;
  s.set("encoder.conv1.weight", randn({4, 3, 2, 2}, gen));
  s.set("encoder.conv1.bias", randn({4}, gen, kFloat64));
  s.set("steps", tensor({1, -2, 3}, {3}, kInt64));
  s.set("image", tensor({0, 128, 255, 7}, {2, 2}, kUInt8));
  s.set("scalar", scalar_tensor(2.5));
  s.set("empty", zeros({0, 3}));
  return s;
}

TEST(Safetensors, RoundTripIsBitExactForEveryDtype) {
  const std::string path = temp_path("aime_roundtrip.safetensors");
  const StateDict saved = sample_tensors();
  save_safetensors(path, saved, {{"format", "pt"}, {"note", "quote \" and newline \n"}});
  const SafetensorsFile loaded = load_safetensors(path);
  EXPECT_EQ(loaded.tensors.keys(), saved.keys());
  for (const auto& [name, t] : saved) {
    const Tensor& u = loaded.tensors.at(name);
    EXPECT_EQ(u.dtype(), t.dtype()) << name;
    EXPECT_EQ(u.shape(), t.shape()) << name;
    const std::size_t nbytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    EXPECT_EQ(std::memcmp(u.data_ptr(), t.data_ptr(), nbytes), 0) << name;
  }
  EXPECT_EQ(loaded.metadata.at("note"), "quote \" and newline \n");
  std::remove(path.c_str());
}

TEST(Safetensors, LayoutIsTheSpecs) {
  StateDict s;
  s.set("a", tensor({1, 2}, {2}));
  const std::string bytes = serialize_safetensors(s);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);  // padded so the data is 8-byte aligned
  const std::string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  EXPECT_EQ(bytes.substr(8, n), json + std::string(n - json.size(), ' '));
  float values[2];
  std::memcpy(values, bytes.data() + 8 + n, 8);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], 2.0f);
  EXPECT_EQ(bytes.size(), 8 + n + 8);
}

TEST(Safetensors, ReadsAFileAsPythonWritesIt) {
  // Keys sorted, no padding, metadata first, BOOL, F16 and BF16 entries (written by hand).
  const std::string header =
      "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]},"
      "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[2,10]},"
      "\"z\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[10,12]}}";
  // F16 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, smallest subnormal 0x0001 = 2^-24; BF16 1.0 = 0x3F80.
  const std::string data("\x01\x00" "\x00\x3C" "\x00\xC0" "\x00\x38" "\x01\x00" "\x80\x3F", 12);
  const SafetensorsFile f = parse_safetensors(with_length_prefix(header, data));
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_EQ(f.tensors.at("b").dtype(), kUInt8);
  EXPECT_EQ(f.tensors.at("b").to_vector<double>(), (std::vector<double>{1, 0}));
  EXPECT_EQ(f.tensors.at("h").to_vector<float>(), (std::vector<float>{1.0f, -2.0f, 0.5f, std::ldexp(1.0f, -24)}));
  EXPECT_EQ(f.tensors.at("z").to_vector<float>(), (std::vector<float>{1.0f}));
}

TEST(Safetensors, ModuleWeightsSurviveTheRoundTrip) {
  const std::string path = temp_path("aime_linear.safetensors");
  Generator g1(1), g2(2);
  Linear a(3, 2, true, g1), b(3, 2, true, g2);
  save_safetensors(path, a.state_dict());
  b.load_state_dict(load_safetensors(path).tensors);
  EXPECT_EQ(a.weight.to_vector<float>(), b.weight.to_vector<float>());
  EXPECT_EQ(a.bias.to_vector<float>(), b.bias.to_vector<float>());
  Linear c(4, 2);
  try {
    c.load_state_dict(load_safetensors(path).tensors);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("weight: the state dict has [2, 3], this module has [2, 4]"),
              std::string::npos)
        << e.what();
  }
  std::remove(path.c_str());
}

TEST(Safetensors, WritesAreAtomic) {
  const std::string path = temp_path("aime_atomic.safetensors");
  save_safetensors(path, sample_tensors());
  const auto size = std::filesystem::file_size(path);
  StateDict bad;
  bad.set("__metadata__", ones({1}));  // rejected before anything is written
  EXPECT_THROW(save_safetensors(path, bad), ValueError);
  EXPECT_EQ(std::filesystem::file_size(path), size);
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    EXPECT_EQ(entry.path().filename().string().find("aime_atomic.safetensors.tmp"), std::string::npos);
  EXPECT_THROW(save_safetensors("/nonexistent-dir/x.safetensors", sample_tensors()), Error);
  std::remove(path.c_str());
}

void expect_error(const std::string& bytes, const std::string& mention) {
  try {
    parse_safetensors(bytes, "test.safetensors");
    FAIL() << "no error, expected one mentioning: " << mention;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, CorruptFilesFailWithClearErrors) {
  const std::string good = serialize_safetensors(sample_tensors());
  expect_error(good.substr(0, 5), "shorter than the 8-byte header length");
  expect_error(good.substr(0, good.size() / 3), "exceeds the");  // truncated inside the header
  expect_error(good.substr(0, good.size() - 1), "fall outside");  // truncated data
  std::string huge = good;
  huge[7] = 0x10;  // header length ~ 2^60
  expect_error(huge, "100 MB limit");
  const std::string entry = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
  expect_error(with_length_prefix(entry, std::string(8, '\0')), "needs 12 bytes, data_offsets give 8");
  expect_error(with_length_prefix("{\"w\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", std::string(4, '\0')),
               "unknown dtype 'F99'");
  expect_error(with_length_prefix("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", std::string(4, '\0')),
               "non-negative integers");
  expect_error(with_length_prefix("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}",
                                  std::string(4, '\0')),
               "more than 2^64");
  expect_error(with_length_prefix("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                                  "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}",
                                  std::string(4, '\0')),
               "overlap");
  expect_error(with_length_prefix("{\"w\": 3}", ""), "entry must be an object");
  expect_error(with_length_prefix("[1, 2]", ""), "must be a JSON object");
  expect_error(with_length_prefix("{\"w\": {", ""), "not valid JSON");
  expect_error(with_length_prefix(std::string(200, '[') + std::string(200, ']'), ""), "nesting");
  expect_error(with_length_prefix("{\"w\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", std::string(4, '\0')),
               "cannot load");
  EXPECT_THROW(load_safetensors("/nonexistent/file.safetensors"), Error);
}

// Fuzz: random byte flips, truncations and header-length rewrites of a valid file must
// parse or throw aime::Error: no crash, no other exception (std::bad_alloc would mean an
// allocation sized by corrupt data), no hang.
TEST(Safetensors, CorruptedBytesNeverCrash) {
  StateDict small;
  small.set("w", tensor({1, 2, 3, 4, 5, 6}, {2, 3}));
  small.set("i", tensor({7, 8}, {2}, kInt64));
  const std::string good = serialize_safetensors(small, {{"k", "v"}});
  Generator gen(42);
  const auto r = rand({20000}, gen, kFloat64).to_vector<double>();
  std::size_t k = 0, parsed = 0, rejected = 0;
  auto next = [&](std::size_t n) { return static_cast<std::size_t>(r[k++ % r.size()] * static_cast<double>(n)); };
  for (int iter = 0; iter < 4000; ++iter) {
    std::string bytes = good;
    switch (iter % 4) {
      case 0:
        for (int j = 0; j < 3; ++j) bytes[next(bytes.size())] = static_cast<char>(next(256));
        break;
      case 1: bytes.resize(next(bytes.size())); break;
      case 2:
        for (int j = 0; j < 8; ++j) bytes[j] = static_cast<char>(next(256));
        break;
      case 3: bytes[8 + next(bytes.size() - 8)] = "{}[]\",:0-9e"[next(11)]; break;
    }
    try {
      parse_safetensors(bytes, "fuzz");
      ++parsed;
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": unexpected " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_GT(rejected, 1000u);
  EXPECT_GT(parsed, 0u);  // flips inside the data section load fine
}

TEST(Safetensors, HeaderOnlyReadListsEveryTensor) {
  const std::string path = temp_path("aime_header.safetensors");
  save_safetensors(path, sample_tensors(), {{"step", "10"}});
  const SafetensorsHeader h = read_safetensors_header(path);
  ASSERT_EQ(h.entries.size(), 6u);
  EXPECT_EQ(h.entries[0].name, "encoder.conv1.weight");
  EXPECT_EQ(h.entries[0].dtype, "F32");
  EXPECT_EQ(h.entries[0].shape, (Shape{4, 3, 2, 2}));
  EXPECT_EQ(h.entries[1].dtype, "F64");
  EXPECT_EQ(h.entries[2].dtype, "I64");
  EXPECT_EQ(h.entries[3].dtype, "U8");
  EXPECT_EQ(h.metadata.at("step"), "10");
  EXPECT_EQ(h.data_size, 4u * 48 + 8 * 4 + 8 * 3 + 4 + 4);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace aime::nn
