// Runs `aime dataset info` on a folder written by the data library.
#include <gtest/gtest.h>

#include "tests/apps/run_aime.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

#include "autograd/api.h"
#include "data/episode.h"

namespace {

using aime::app::testing::run_aime;
auto run(const std::string& args) { return run_aime(args); }

TEST(DatasetInfo, SummarisesEpisodesKeysShapesAndRanges) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "aime_cli_dataset";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (int i = 0; i < 2; ++i) {
    aime::data::Episode e;
    const std::int64_t T = 4 + i;
    e.set("image", aime::full({T, 8, 8, 3}, 10.0 * (i + 1), aime::kUInt8));
    e.set("velocity", aime::arange(-2.0, 2.0 * static_cast<double>(T) - 2.0, 2.0, aime::kFloat64).reshape({T, 1}));
    e.set("is_first", aime::zeros({T, 1}, aime::kUInt8), true);
    // One stored, one compressed: --ranges streams both.
    aime::data::save_episode((dir / (std::to_string(i) + ".npz")).string(), e,
                             i == 0 ? aime::data::Compression::Stored : aime::data::Compression::Deflate);
  }
  auto [status, out] = run("dataset info " + dir.string());  // headers only
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("2 episodes, 9 steps (4 to 5 per episode)"), std::string::npos) << out;
  EXPECT_NE(out.find("MiB decoded"), std::string::npos) << out;
  EXPECT_NE(out.find("image     [8, 8, 3]         uint8"), std::string::npos) << out;
  EXPECT_EQ(out.find("range"), std::string::npos) << out;
  std::tie(status, out) = run("dataset info --ranges " + dir.string());
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("uint8     [10, 20]"), std::string::npos) << out;
  EXPECT_NE(out.find("float64   [-2, 6]"), std::string::npos) << out;
  EXPECT_NE(out.find("bool"), std::string::npos) << out;
  std::tie(status, out) = run("dataset info " + (dir / "missing").string());
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("not a directory"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
