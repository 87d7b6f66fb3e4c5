// Runs `aime dataset info` on a folder written by the data library.
#include <gtest/gtest.h>

#include "tests/apps/run_aime.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

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

// Issue 32's first case as a user hits it: an episode file of a few MB whose image.npy is
// honestly [100000, 64, 64, 3] (1.1 GiB decoded). `dataset info` reads headers only, and
// `--ranges` streams the array in blocks: both finish in a process allowed 1 GiB of address
// space, less than the array. (Under AddressSanitizer, which reserves terabytes of shadow
// memory, the cap cannot be set; the commands still run.)
TEST(DatasetInfo, AnHonestlyHugeCompressedEpisodeIsSummarisedInBoundedMemory) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aime_cli_giant_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string make = "python3 " + std::string(AIME_SOURCE_DIR) + "/tests/apps/fixtures/honest_giant_npz.py " +
                           (dir / "0.npz").string() + " 100000";
  if (std::system(make.c_str()) != 0) GTEST_SKIP() << "no python3 to write the file";
  ASSERT_LT(fs::file_size(dir / "0.npz"), 16u << 20);
#if defined(__SANITIZE_ADDRESS__)
  const std::string cap;
#else
  const std::string cap = "ulimit -v 1048576; ";
#endif
  auto capped = [&](const std::string& args) {
    FILE* pipe = popen(("(" + cap + std::string(AIME_BINARY) + " " + args + ") 2>&1").c_str(), "r");
    std::string out;
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    const int status = pclose(pipe);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  auto [status, out] = capped("dataset info " + dir.string());
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("1 episodes, 100000 steps"), std::string::npos) << out;
  EXPECT_NE(out.find("1172.3 MiB decoded"), std::string::npos) << out;
  std::tie(status, out) = capped("dataset info --ranges " + dir.string());
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("uint8     [0, 0]"), std::string::npos) << out;
  fs::remove_all(dir);
}

TEST(DatasetMix, ConcatenatesInTheOriginalsOrderAndRefusesMismatches) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("aime_cli_mix_" + std::to_string(::getpid()));
  fs::remove_all(root);
  // Folder a: 11 episodes whose velocity is their index; folder b: 2 (index + 100).
  auto write = [&](const fs::path& dir, int n, double offset, std::int64_t width) {
    fs::create_directories(dir);
    for (int i = 0; i < n; ++i) {
      aime::data::Episode e;
      e.set("velocity", aime::full({3, width}, offset + i, aime::kFloat64));
      aime::data::save_episode((dir / (std::to_string(i) + ".npz")).string(), e);
    }
  };
  write(root / "a", 11, 0, 1);
  write(root / "b", 2, 100, 1);
  write(root / "c", 1, 0, 2);
  auto velocity = [](const fs::path& file) {
    return aime::data::load_episode(file.string()).at("velocity").data.to_vector<double>()[0];
  };
  auto [status, out] = run("dataset mix -i " + (root / "a").string() + " " + (root / "b").string() + " -o " +
                           (root / "m").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("wrote 13 episodes"), std::string::npos) << out;
  // By name, as the original's os.listdir + sorted: 0, 1, 10, 2, ..., 9; then b's.
  EXPECT_EQ(velocity(root / "m" / "2.npz"), 10.0);
  EXPECT_EQ(velocity(root / "m" / "3.npz"), 2.0);
  EXPECT_EQ(velocity(root / "m" / "12.npz"), 101.0);
  std::tie(status, out) = run("dataset mix --numeric-order -i " + (root / "a").string() + " -o " + (root / "n").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(velocity(root / "n" / "2.npz"), 2.0);
  // Into a folder that holds episodes, or folders whose shapes differ: refused, naming them.
  std::tie(status, out) = run("dataset mix -i " + (root / "a").string() + " -o " + (root / "n").string());
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("already holds episodes"), std::string::npos) << out;
  std::tie(status, out) = run("dataset mix -i " + (root / "a").string() + " " + (root / "c").string() + " -o " +
                              (root / "x").string());
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("'velocity' is [2] per step"), std::string::npos) << out;
  fs::remove_all(root);
}

TEST(DatasetCoverage, CountsTheCellsEachFolderVisits) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("aime_cli_coverage_" + std::to_string(::getpid()));
  fs::remove_all(root);
  // a: four steps at the grid's corners (x, y in {0, 1}); b: one point, four times.
  auto write = [&](const fs::path& dir, std::vector<double> x, std::vector<double> y) {
    fs::create_directories(dir);
    aime::data::Episode e;
    const auto T = static_cast<std::int64_t>(x.size());
    e.set("height", aime::tensor(x, {T, 1}, aime::kFloat64));
    std::vector<double> v;
    for (double y1 : y) v.insert(v.end(), {9.0, y1});
    e.set("velocity", aime::tensor(v, {T, 2}, aime::kFloat64));
    aime::data::save_episode((dir / "0.npz").string(), e);
  };
  write(root / "a", {0, 0, 1, 1}, {0, 1, 0, 1});
  write(root / "b", {0.5, 0.5, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5});
  auto [status, out] = run("dataset coverage " + (root / "a").string() + " " + (root / "b").string() + " --bins 4");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("4 of 16 cells (25.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("1 of 16 cells (6.2%)"), std::string::npos) << out;
  std::tie(status, out) = run("dataset coverage " + (root / "a").string() + " --features height[0],velocity[2]");
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("has 2 values per step"), std::string::npos) << out;
  fs::remove_all(root);
}

}  // namespace
