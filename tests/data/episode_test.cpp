#include "data/episode.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "autograd/api.h"

namespace aime::data {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Episode small_episode(std::int64_t T, double offset = 0) {
  Episode e;
  e.set("image", (arange(0, static_cast<double>(T * 12), 1, kFloat32) + offset).to(kUInt8).reshape({T, 2, 2, 3}));
  e.set("reward", arange(0, static_cast<double>(T), 1, kFloat64) + offset);  // [T]: expanded to [T, 1] on load
  e.set("is_first", zeros({T}, kUInt8), true);
  return e;
}

TEST(Episode, SaveLoadRoundTripExpandsScalarsPerStep) {
  const fs::path dir = fresh_dir("aime_episode_rt");
  save_episode((dir / "0.npz").string(), small_episode(5));
  const Episode e = load_episode((dir / "0.npz").string());
  EXPECT_EQ(e.length(), 5);
  EXPECT_EQ(e.keys(), (std::vector<std::string>{"image", "reward", "is_first"}));
  EXPECT_EQ(e.at("reward").data.shape(), (Shape{5, 1}));
  EXPECT_EQ(e.at("reward").data.to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(e.at("is_first").boolean);
  EXPECT_EQ(e.at("image").data.to_vector<std::uint8_t>(), small_episode(5).at("image").data.to_vector<std::uint8_t>());
  fs::remove_all(dir);
}

TEST(Episode, InconsistentLengthsNameTheFileAndBothKeys) {
  Episode e = small_episode(5);
  e.set("reward", zeros({4, 1}));
  try {
    save_episode("/tmp/aime_bad.npz", e);
    FAIL();
  } catch (const ValueError& err) {
    EXPECT_NE(std::string(err.what()).find("/tmp/aime_bad.npz: inconsistent lengths: 'reward' has 4 steps, 'image' has 5"),
              std::string::npos)
        << err.what();
  }
  EXPECT_FALSE(fs::exists("/tmp/aime_bad.npz"));
  EXPECT_THROW(e.at("missing"), ValueError);
}

TEST(Episode, ListsIntegerNamedFilesInNumericOrder) {
  const fs::path dir = fresh_dir("aime_episode_list");
  for (int i : {10, 2, 0, 1}) save_episode((dir / (std::to_string(i) + ".npz")).string(), small_episode(2));
  std::ofstream(dir / "notes.txt") << "ignored";
  std::ofstream(dir / "config.npz") << "ignored: not <int>.npz";
  const auto files = list_episode_files(dir.string());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(fs::path(files[0]).filename(), "0.npz");
  EXPECT_EQ(fs::path(files[2]).filename(), "2.npz");
  EXPECT_EQ(fs::path(files[3]).filename(), "10.npz");
  EXPECT_THROW(list_episode_files((dir / "missing").string()), Error);
  const fs::path empty = fresh_dir("aime_episode_empty");
  EXPECT_THROW(list_episode_files(empty.string()), Error);
  fs::remove_all(dir);
  fs::remove_all(empty);
}

}  // namespace
}  // namespace aime::data
