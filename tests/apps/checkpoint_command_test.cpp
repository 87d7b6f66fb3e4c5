// Runs the `aime` binary the way a user does and checks what it prints.
#include <gtest/gtest.h>

#include "tests/apps/run_aime.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

#include "autograd/api.h"
#include "nn/serialize/safetensors.h"

namespace {

using aime::app::testing::run_aime;
struct Result {
  int status;
  std::string output;
};
Result run(const std::string& args) {
  auto [status, output] = run_aime(args);
  return {status, output};
}

TEST(CheckpointInfo, ListsEveryTensorWithDtypeShapeAndTheMetadata) {
  const std::string path = (std::filesystem::temp_directory_path() / "aime_cli_info.safetensors").string();
  aime::nn::StateDict s;
  s.set("encoder.conv1.weight", aime::zeros({32, 3, 4, 4}));
  s.set("step", aime::zeros({1}, aime::kInt64));
  aime::nn::save_safetensors(path, s, {{"epoch", "7"}});
  const Result r = run("checkpoint info " + path);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2 tensors, 1,537 elements"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch: 7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("encoder.conv1.weight  F32    [32, 3, 4, 4]  1,536"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("step                  I64    [1]"), std::string::npos) << r.output;
  std::filesystem::remove(path);
}

TEST(CheckpointInfo, BadFilesAndUsageFailWithTheRightStatus) {
  const std::string path = (std::filesystem::temp_directory_path() / "aime_cli_garbage.safetensors").string();
  { std::FILE* f = std::fopen(path.c_str(), "wb"); std::fputs("definitely not a checkpoint", f); std::fclose(f); }
  Result r = run("checkpoint info " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
  std::filesystem::remove(path);
  r = run("checkpoint info");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("missing FILE"), std::string::npos) << r.output;
  r = run("checkpoint info --bogus x");
  EXPECT_EQ(r.status, 2);
  r = run("nonsense");
  EXPECT_EQ(r.status, 2);
  r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("checkpoint info"), std::string::npos);
  r = run("checkpoint info --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("safetensors"), std::string::npos);
}

}  // namespace
