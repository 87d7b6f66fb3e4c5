#include "algorithms/metrics_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/error.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("aime_metrics_log_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

TEST(MetricsLog, CsvHasAHeaderThenOneRowPerStep) {
  const std::string path = temp_path("a.csv");
  {
    MetricsLog log(path);
    log.write(1, {{"loss", 2.5}, {"elbo", -1.0}});
    log.write(2, {{"loss", 0.125}, {"elbo", -0.5}});
  }
  EXPECT_EQ(read(path), "step,elbo,loss\n1,-1,2.5\n2,-0.5,0.125\n");
}

TEST(MetricsLog, ARowWithOtherColumnsIsAnErrorNamingBoth) {
  MetricsLog log(temp_path("b.csv"));
  log.write(1, {{"loss", 1.0}});
  try {
    log.write(2, {{"loss", 1.0}, {"kl", 2.0}});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("step,kl,loss"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("step,loss"), std::string::npos) << e.what();
  }
}

TEST(MetricsLog, JsonlWritesOneObjectPerLine) {
  const std::string path = temp_path("c.jsonl");
  {
    MetricsLog log(path, "jsonl");
    log.write(7, {{"loss", 0.5}});
  }
  EXPECT_EQ(read(path), "{\"step\":7,\"loss\":0.5}\n");
  EXPECT_THROW(MetricsLog(temp_path("d.txt"), "txt"), ValueError);
}

TEST(MetricsLog, ResumeDropsTheRowsAfterTheCheckpointAndANewRunReplacesTheFile) {
  const std::string path = temp_path("e.csv");
  {
    MetricsLog log(path);
    for (int s = 1; s <= 5; ++s) log.write(s, {{"loss", s}});
  }
  {
    MetricsLog log(path, "csv", 3);  // a checkpoint at step 3
    log.write(4, {{"loss", 40}});
  }
  EXPECT_EQ(read(path), "step,loss\n1,1\n2,2\n3,3\n4,40\n");
  {
    MetricsLog log(path);
    log.write(1, {{"kl", 9}});
  }
  EXPECT_EQ(read(path), "step,kl\n1,9\n");
}

}  // namespace
}  // namespace aime::algorithms
