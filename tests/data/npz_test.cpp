#include "data/npz.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "autograd/api.h"
#include "tests/data/python_numpy.h"

namespace aime::data {
namespace {

const std::string kFixtures = std::string(AIME_SOURCE_DIR) + "/tests/data/fixtures";

const NpyArray& find(const NpzArrays& arrays, const std::string& key) {
  for (const auto& [k, a] : arrays)
    if (k == key) return a;
  throw std::runtime_error("no key " + key);
}

// The values tests/data/fixtures/make_fixtures.py writes, rebuilt here.
void expect_fixture_values(const NpzArrays& arrays) {
  ASSERT_EQ(arrays.size(), 8u);
  EXPECT_EQ(arrays[0].first, "image");
  const NpyArray& image = find(arrays, "image");
  EXPECT_EQ(image.data.dtype(), kUInt8);
  EXPECT_EQ(image.data.shape(), (Shape{4, 6, 5, 3}));
  const auto px = image.data.to_vector<std::uint8_t>();
  for (std::size_t i = 0; i < px.size(); ++i) ASSERT_EQ(px[i], (i * 7) % 251) << i;
  const auto act = find(arrays, "pre_action").data.to_vector<float>();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(act[i], static_cast<float>(i / 8.0 - 0.5));
  const auto vel = find(arrays, "velocity").data.to_vector<double>();
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(vel[i], std::sin(static_cast<double>(i)), 1e-15);  // libm vs NumPy: last ulp
  EXPECT_EQ(find(arrays, "reward").data.to_vector<double>(), (std::vector<double>{0, 0.25, 0.5, 0.75}));
  const NpyArray& first = find(arrays, "is_first");
  EXPECT_TRUE(first.boolean);
  EXPECT_EQ(first.data.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(find(arrays, "steps").data.to_vector<std::int64_t>(), (std::vector<std::int64_t>{-2, -1, 0, 1}));
  EXPECT_EQ(find(arrays, "fortran").data.to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(find(arrays, "big").data.to_vector<double>(), (std::vector<double>{1.5, -2, 3}));
}

TEST(Npz, ReadsTheCommittedNumPyFixtures) {
  expect_fixture_values(read_npz(kFixtures + "/numpy_savez.npz"));
  expect_fixture_values(read_npz(kFixtures + "/numpy_savez_compressed.npz"));
}

TEST(Npz, ReadsFilesNumPyWritesNow) {
  const std::string python = testing::python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "no python3 with numpy: the committed fixtures cover this";
  const auto dir = std::filesystem::temp_directory_path() / "aime_npz_fixtures";
  std::filesystem::create_directories(dir);
  ASSERT_EQ(std::system((python + " " + std::string(AIME_SOURCE_DIR) + "/tests/data/fixtures/make_fixtures.py " + dir.string()).c_str()), 0);
  expect_fixture_values(read_npz((dir / "numpy_savez.npz").string()));
  expect_fixture_values(read_npz((dir / "numpy_savez_compressed.npz").string()));
  std::filesystem::remove_all(dir);
}

TEST(Npz, RoundTripIsBitExactStoredAndCompressed) {
  const NpzArrays arrays = read_npz(kFixtures + "/numpy_savez.npz");
  for (Compression c : {Compression::Stored, Compression::Deflate}) {
    const NpzArrays back = parse_npz(serialize_npz(arrays, c), "memory");
    ASSERT_EQ(back.size(), arrays.size());
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      EXPECT_EQ(back[i].first, arrays[i].first);
      EXPECT_EQ(back[i].second.boolean, arrays[i].second.boolean);
      EXPECT_EQ(back[i].second.data.dtype(), arrays[i].second.data.dtype());
      EXPECT_EQ(back[i].second.data.to_vector<double>(), arrays[i].second.data.to_vector<double>()) << arrays[i].first;
    }
  }
}

TEST(Npz, NumPyLoadsWhatWeWrite) {
  const std::string python = testing::python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "no python3 with numpy to cross-check with";
  const std::string path = (std::filesystem::temp_directory_path() / "aime_written.npz").string();
  NpzArrays arrays;
  arrays.emplace_back("image", NpyArray{arange(0, 24, 1, kFloat32).to(kUInt8).reshape({2, 2, 2, 3}), false});
  arrays.emplace_back("is_last", NpyArray{tensor({0, 1}, {2}, kUInt8), true});
  arrays.emplace_back("velocity", NpyArray{tensor({0.5, -1.25}, {2, 1}, kFloat64), false});
  for (Compression c : {Compression::Stored, Compression::Deflate}) {
    write_npz(path, arrays, c);
    const std::string check =
        python + " -c \"import numpy as np; d = np.load('" + path +
        "'); assert d['image'].dtype == np.uint8 and d['image'].shape == (2, 2, 2, 3) and d['image'].sum() == 276; "
        "assert d['is_last'].dtype == np.bool_ and list(d['is_last']) == [False, True]; "
        "assert d['velocity'].dtype == np.float64 and d['velocity'][1, 0] == -1.25\"";
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
  }
  std::remove(path.c_str());
}

TEST(Npz, BadArchivesNameTheFileAndEntry) {
  try {
    read_npz("/nonexistent/0.npz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/0.npz"), std::string::npos);
  }
  std::ostringstream out;
  ZipWriter zip(out);
  zip.add("notes.txt", "hello");
  zip.finish();
  try {
    parse_npz(out.str(), "7.npz");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("7.npz: entry 'notes.txt' is not a .npy array"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aime::data
