// Data-parallel runs of the `aime` program under mpirun (docs/distributed.md), checked
// against one process: the same numbers for 1, 2 and 3 ranks (a batch of 7 that divides by
// neither), a run resumed with another number of ranks, AIME's phase 2, and the safety
// rules: ranks that run different configurations stop with a message naming the rank, a
// rank that dies or fails stops the others (never a hang: every run here has a timeout).
// Each test skips, saying why, in a build without MPI or where mpirun is missing.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <tuple>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "nn/serialize/safetensors.h"

namespace {

namespace fs = std::filesystem;

std::pair<int, std::string> shell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// "timeout 300 mpirun [--oversubscribe] -np N": Open MPI refuses more ranks than cores
// without --oversubscribe (the CI machine has 2) and, as root, runs only when told
// (OMPI_ALLOW_RUN_AS_ROOT*); each rank takes one OpenMP thread. MPICH needs neither.
std::string mpirun(int ranks) {
  static const std::string version = shell(std::string(AIME_MPIEXEC) + " --version").second;
  static const bool open_mpi = version.find("Open MPI") != std::string::npos ||
                               version.find("OpenRTE") != std::string::npos || version.find("open-mpi") != std::string::npos;
  return "timeout 300 " + std::string(AIME_MPIEXEC) + (open_mpi ? " --oversubscribe" : "") + " -np " + std::to_string(ranks);
}

class MpiRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aime::distributed::built_with_mpi()) GTEST_SKIP() << "this build has no MPI (CMake AIME_MPI)";
    if (std::string(AIME_MPIEXEC).empty() || !fs::exists(AIME_MPIEXEC)) GTEST_SKIP() << "no mpirun found by CMake";
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    // Containers often forbid the cross-memory attach Open MPI uses between local ranks.
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    dir_ = fs::temp_directory_path() / ("aime_mpi_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string aime() const { return AIME_BINARY; }
  // Four short pendulum episodes (vectors only).
  std::string dataset() {
    const fs::path data = dir_ / "data";
    if (!fs::exists(data)) {
      const auto [code, out] = shell(aime() + " collect --env pendulum-swingup --policy random --episodes 4 "
                                              "--episode-steps 200 --seed 1 --out " + data.string());
      EXPECT_EQ(code, 0) << out;
    }
    return data.string();
  }
  // Epochs of 4 steps with a global batch of 7 windows (which 2 and 3 ranks do not divide).
  std::string train_args(const std::string& out, std::int64_t epochs, const std::string& data = "") {
    return " train-model --dataset " + (data.empty() ? dataset() : data) + " --setup mdp --state-size 16,4 --hidden-size 16 --epochs " +
           std::to_string(epochs) + " --batches-per-epoch 4 --batch-size 7 --horizon 12 --checkpoint-every 4"
           " --seed 3 --out " + (dir_ / out).string();
  }
  fs::path dir_;
};

std::map<std::string, std::vector<double>> weights(const fs::path& file) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& [name, t] : aime::nn::load_safetensors(file.string()).tensors) out[name] = t.to_vector<double>();
  return out;
}

// The largest difference between two runs' weights, relative to the largest weight.
double weight_difference(const fs::path& a, const fs::path& b) {
  const auto wa = weights(a), wb = weights(b);
  EXPECT_EQ(wa.size(), wb.size());
  double worst = 0.0, scale = 0.0;
  for (const auto& [name, va] : wa) {
    const auto& vb = wb.at(name);
    EXPECT_EQ(va.size(), vb.size()) << name;
    for (std::size_t i = 0; i < va.size() && i < vb.size(); ++i) {
      worst = std::max(worst, std::abs(va[i] - vb[i]));
      scale = std::max(scale, std::abs(va[i]));
    }
  }
  return worst / scale;
}

// metrics.csv as rows of numbers (the header checked equal), without samples_per_s and
// seconds (timings).
std::vector<std::vector<double>> metric_rows(const fs::path& csv, std::string* header) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  *header = line;
  std::vector<std::string> names;
  std::stringstream hs(line);
  for (std::string name; std::getline(hs, name, ',');) names.push_back(name);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::vector<double> row;
    std::size_t i = 0;
    for (std::string cell; std::getline(ls, cell, ','); ++i)
      if (names[i] != "samples_per_s" && names[i] != "seconds") row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

void expect_same_metrics(const fs::path& a, const fs::path& b) {
  std::string ha, hb;
  const auto ra = metric_rows(a, &ha), rb = metric_rows(b, &hb);
  EXPECT_EQ(ha, hb);
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t r = 0; r < ra.size(); ++r)
    for (std::size_t c = 0; c < ra[r].size(); ++c)
      EXPECT_NEAR(ra[r][c], rb[r][c], 1e-4 * (1.0 + std::abs(ra[r][c]))) << "row " << r << " column " << c << " of " << ha;
}

TEST_F(MpiRun, CollectivesBetweenTwoAndThreeRanks) {
  for (int n : {2, 3}) {
    const auto [code, out] = shell(mpirun(n) + " " + AIME_MPI_RANK_TESTS);
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(out.find("SKIPPED"), std::string::npos) << out;  // the ranks saw each other
  }
}

// 20 steps on 2 and 3 ranks give one process's parameters: to 1e-5 relative in float32 and
// 1e-12 in float64 (the sums over ranks add the same terms in another order).
TEST_F(MpiRun, TrainModelOnTwoAndThreeRanksIsTheOneProcessRun) {
  for (const std::string dtype : {"float32", "float64"}) {
    const double tolerance = dtype == "float32" ? 1e-5 : 1e-12;
    const std::string one = "one_" + dtype;
    const auto [c1, o1] = shell(aime() + train_args(one, 5) + " --dtype " + dtype);
    ASSERT_EQ(c1, 0) << o1;
    for (int n : {2, 3}) {
      const std::string out = "ranks" + std::to_string(n) + "_" + dtype;
      const auto [code, text] = shell(mpirun(n) + " " + aime() + train_args(out, 5) + " --dtype " + dtype);
      ASSERT_EQ(code, 0) << text;
      EXPECT_NE(text.find("on " + std::to_string(n) + " ranks"), std::string::npos) << text;
      EXPECT_EQ(text.find("training rssm"), text.rfind("training rssm")) << "only rank 0 speaks:\n" << text;
      const double difference = weight_difference(dir_ / one / "model.safetensors", dir_ / out / "model.safetensors");
      EXPECT_LT(difference, tolerance) << n << " ranks, " << dtype;
      expect_same_metrics(dir_ / one / "metrics.csv", dir_ / out / "metrics.csv");
    }
  }
}

TEST_F(MpiRun, AResumeMayUseAnotherNumberOfRanks) {
  const auto [c1, o1] = shell(aime() + train_args("one", 3));
  ASSERT_EQ(c1, 0) << o1;
  // One epoch on 2 ranks, the second on 3, the third alone.
  auto [code, text] = shell(mpirun(2) + " " + aime() + train_args("resumed", 1));
  ASSERT_EQ(code, 0) << text;
  // As if the last checkpoint had been cut between its two files (the optimiser's written,
  // the model's not yet renamed): every rank resumes, rank 0 alone finishes the rename.
  fs::copy_file(dir_ / "resumed" / "optimizer.safetensors", dir_ / "resumed" / "optimizer.next.safetensors");
  std::tie(code, text) = shell(mpirun(3) + " " + aime() + train_args("resumed", 2) + " --resume");
  ASSERT_EQ(code, 0) << text;
  std::tie(code, text) = shell(aime() + train_args("resumed", 3) + " --resume");
  ASSERT_EQ(code, 0) << text;
  EXPECT_LT(weight_difference(dir_ / "one" / "model.safetensors", dir_ / "resumed" / "model.safetensors"), 1e-5);
  expect_same_metrics(dir_ / "one" / "metrics.csv", dir_ / "resumed" / "metrics.csv");
}

TEST_F(MpiRun, ImitateAimeOnTwoRanksIsTheOneProcessRun) {
  const auto [c0, o0] = shell(aime() + train_args("model", 1));
  ASSERT_EQ(c0, 0) << o0;
  const std::string args = " imitate --algo aime --model " + (dir_ / "model").string() + " --demos " + dataset() +
                           " --epochs 2 --batches-per-epoch 3 --batch-size 5 --horizon 12 --seed 4 --out ";
  const auto [c1, o1] = shell(aime() + args + (dir_ / "one").string());
  ASSERT_EQ(c1, 0) << o1;
  const auto [c2, o2] = shell(mpirun(2) + " " + aime() + args + (dir_ / "two").string());
  ASSERT_EQ(c2, 0) << o2;
  EXPECT_NE(o2.find("on 2 ranks"), std::string::npos) << o2;
  EXPECT_LT(weight_difference(dir_ / "one" / "policy.safetensors", dir_ / "two" / "policy.safetensors"), 1e-5);
  expect_same_metrics(dir_ / "one" / "metrics.csv", dir_ / "two" / "metrics.csv");
  // The baselines are not data-parallel: refused rather than run twice into one folder.
  const auto [c3, o3] = shell(mpirun(2) + " " + aime() + " imitate --algo bc --demos " + dataset() + " --out " +
                              (dir_ / "bc").string());
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("only --algo aime is data-parallel"), std::string::npos) << o3;
}

TEST_F(MpiRun, RanksWithAnotherConfigurationStopTogether) {
  // Open MPI's and MPICH's MPMD syntax: rank 0 with one learning rate, rank 1 with another.
  // Every rank stops before the first step, within 60 s.
  const auto start = std::chrono::steady_clock::now();
  const auto [code, text] = shell(mpirun(1) + " " + aime() + train_args("a", 1) + " --lr 1e-3 : -np 1 " + aime() +
                                  train_args("a", 1) + " --lr 2e-3");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 60);
  EXPECT_NE(code, 0);
  EXPECT_NE(text.find("rank 1 of 2 differs from rank 0 in the configuration: 'the run"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(dir_ / "a" / "model.safetensors"));
}

TEST_F(MpiRun, ARankThatFailsOrDiesStopsTheOthers) {
  // Rank 1 reads a folder that does not exist: it fails after it joins (MPI_Abort).
  auto [code, text] = shell(mpirun(1) + " " + aime() + train_args("a", 50) + " : -np 1 " + aime() +
                            train_args("a", 50, (dir_ / "missing").string()));
  EXPECT_NE(code, 0);
  EXPECT_NE(code, 124) << "timed out: a rank waited for one that had failed\n" << text;
  EXPECT_NE(text.find("error (rank 1 of 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("missing"), std::string::npos) << text;
  // Rank 1 is given a flag it does not know: it fails before it joins.
  std::tie(code, text) = shell(mpirun(1) + " " + aime() + train_args("a", 50) + " : -np 1 " + aime() +
                               train_args("a", 50) + " --no-such-flag");
  EXPECT_NE(code, 0);
  EXPECT_NE(code, 124) << "timed out: a rank waited for one that had failed\n" << text;
  EXPECT_NE(text.find("no-such-flag"), std::string::npos) << text;
  // Rank 1 is killed (SIGKILL) a moment into a long run.
  const auto start = std::chrono::steady_clock::now();
  std::tie(code, text) = shell(mpirun(1) + " " + aime() + train_args("b", 2000) + " : -np 1 sh -c '(sleep 3; kill -9 $$) & exec " +
                               aime() + train_args("b", 2000) + "'");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(code, 0);
  EXPECT_NE(code, 124) << "timed out: rank 0 waited for the killed rank\n" << text;
  // The launcher says which rank died and how (Open MPI: "exited on signal 9 (Killed)";
  // MPICH: "KILLED BY SIGNAL: 9"), and every rank has ended within 60 s of the start (the
  // kill comes at 3 s; a whole run would take minutes).
  EXPECT_TRUE(text.find("signal 9") != std::string::npos || text.find("SIGNAL: 9") != std::string::npos) << text;
  EXPECT_LT(seconds, 60) << text;
  std::cerr << "a killed rank ended the run in " << seconds << " s\n";
}

}  // namespace

namespace {

// A build without MPI started by a launcher for several processes (the launcher's variables
// set by hand here) refuses to train: each process would train alone into one folder.
TEST(MpiLauncher, ABuildWithoutMpiRefusesSeveralProcesses) {
  if (aime::distributed::built_with_mpi())
    GTEST_SKIP() << "this build has MPI (its refusal is for builds without; a launcher's variables set by hand "
                    "would make this one start MPI)";
  const fs::path dir = fs::temp_directory_path() / ("aime_nompi_" + std::to_string(::getpid()));
  const auto [code, text] = shell("OMPI_COMM_WORLD_SIZE=2 " + std::string(AIME_BINARY) + " train-model --dataset " +
                                  dir.string() + " --out " + (dir / "out").string());
  EXPECT_EQ(code, 1) << text;
  EXPECT_NE(text.find("built without MPI"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
