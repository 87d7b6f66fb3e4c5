// The kill test: `aime train-model` killed with SIGKILL at random moments, many times, and
// resumed each time with --resume, ends with the same bytes as the uninterrupted run (model
// and optimiser) and one metrics row per step. The windows a kill can land in include the
// one between the two checkpoint files (optimizer.next.safetensors written, the model not
// yet renamed into place): the test counts the kills that left that file behind. The
// deterministic cases of each window are tests/algorithms/model_training_test.cpp's.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/apps/run_aime.h"

namespace {

namespace fs = std::filesystem;
using aime::app::testing::run_aime;

using aime::app::testing::read_bytes;

// Starts `aime ARGS...` with its output in `log` (truncated); returns its pid.
pid_t spawn_aime(const std::vector<std::string>& args, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv{const_cast<char*>(AIME_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(AIME_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

// The step column of metrics.csv, in order.
std::vector<long> metric_steps(const fs::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::vector<long> steps;
  std::getline(in, line);  // header: step first
  EXPECT_EQ(line.rfind("step,", 0), 0u) << line;
  while (std::getline(in, line)) steps.push_back(std::stol(line.substr(0, line.find(','))));
  return steps;
}

// Complete rows of a metrics.csv a kill may have cut (0 when absent).
long rows_written(const fs::path& csv) {
  const std::string text = read_bytes(csv);
  const long lines = static_cast<long>(std::count(text.begin(), text.end(), '\n'));
  return lines > 0 ? lines - 1 : 0;
}

TEST(KillResume, ARunKilledAtRandomMomentsResumesToTheUninterruptedBytes) {
  const fs::path root = fs::temp_directory_path() / ("aime_kill_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const fs::path data = root / "data";
  auto [status, out] = run_aime("collect --env cartpole-balance --policy random --episodes 2 --seed 1 --out " + data.string());
  ASSERT_EQ(status, 0) << out;
  const long steps = 24;
  auto train_args = [&](const fs::path& dir) {
    return std::vector<std::string>{"train-model", "--dataset", data.string(), "--setup", "mdp", "--state-size", "32,8",
                                    "--hidden-size", "32", "--batch-size", "4", "--horizon", "8", "--epochs", "1",
                                    "--batches-per-epoch", std::to_string(steps), "--checkpoint-every", "1", "--seed", "3",
                                    "--resume", "--out", dir.string()};
  };
  // The uninterrupted run, timed: kills are drawn within its length.
  const auto t0 = std::chrono::steady_clock::now();
  int wstatus = 0;
  ::waitpid(spawn_aime(train_args(root / "straight"), root / "straight.log"), &wstatus, 0);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << read_bytes(root / "straight.log");
  double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  // Two kinds of kill, alternating: at a uniform moment within half of what is left of the
  // run (start-up, loading, steps, checkpoint writes, the resume's own repairs; what is left
  // is estimated from the steps in metrics.csv, so that a resume rarely finishes before its
  // kill), and as soon as optimizer.next.safetensors appears (the window between the two
  // files, aimed at: a uniform moment lands there rarely). Once every step is done, or after
  // max_kills kills, the last resume is left to finish.
  // A run that finishes before its kill ends the series; when that happens before 10 kills
  // (the uninterrupted run was timed on a busier machine), the series starts again from
  // nothing with moments half as long, at most four times.
  const fs::path killed = root / "killed", pending = killed / "optimizer.next.safetensors";
  std::mt19937 rng(20261206);  // the moments; the scheduler adds its own jitter
  std::uniform_real_distribution<double> fraction(0.0, 0.5);
  const int max_kills = 60, min_kills = 10;
  int kills = 0, between_files = 0, runs = 0;
  long done = 0;  // steps in metrics.csv before the last run
  for (int series = 0; series < 4 && kills < min_kills; ++series, run_ms /= 2) {
    fs::remove_all(killed);
    kills = between_files = runs = 0;
    bool finished = false;
    while (!finished) {
      ++runs;
      const bool aimed = runs % 2 == 0;
      done = rows_written(killed / "metrics.csv");
      const double wait_ms = fraction(rng) * run_ms * static_cast<double>(steps - done + 2) / static_cast<double>(steps);
      const pid_t pid = spawn_aime(train_args(killed), root / "run.log");
      bool reaped = false;  // a run that ended by itself before its kill
      if (kills < max_kills && done < steps) {
        const auto start = std::chrono::steady_clock::now();
        const auto limit = std::chrono::microseconds(static_cast<long>((aimed ? 2 * run_ms : wait_ms) * 1000));
        // Aimed: poll for the pending file (a resume first removes or renames a stale one).
        while (!(reaped = ::waitpid(pid, &wstatus, WNOHANG) == pid) && !(aimed && fs::exists(pending)) &&
               std::chrono::steady_clock::now() - start < limit)
          if (!aimed) std::this_thread::sleep_for(std::chrono::microseconds(200));
        if (!reaped) {
          ::kill(pid, SIGKILL);
          ::waitpid(pid, &wstatus, 0);
          if (WIFSIGNALED(wstatus)) {
            ++kills;
            if (fs::exists(pending)) ++between_files;
            continue;
          }
        }
      } else {
        ::waitpid(pid, &wstatus, 0);
      }
      ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "run " << runs << " after " << kills
                                                               << " kills failed by itself:\n" << read_bytes(root / "run.log");
      finished = true;
    }
  }
  ::testing::Test::RecordProperty("kills", kills);
  ::testing::Test::RecordProperty("kills_leaving_optimizer_next", between_files);
  std::cout << kills << " kills (" << between_files << " left optimizer.next.safetensors behind) in " << runs
            << " runs; the last run started at step " << done << " of " << steps << "\n";
  EXPECT_GE(kills, min_kills);
  EXPECT_GE(between_files, 1);
  EXPECT_EQ(read_bytes(killed / "model.safetensors"), read_bytes(root / "straight" / "model.safetensors"));
  EXPECT_EQ(read_bytes(killed / "optimizer.safetensors"), read_bytes(root / "straight" / "optimizer.safetensors"));
  EXPECT_FALSE(fs::exists(killed / "optimizer.next.safetensors"));
  std::vector<long> expected(steps);
  for (long i = 0; i < steps; ++i) expected[i] = i + 1;
  EXPECT_EQ(metric_steps(killed / "metrics.csv"), expected);
  fs::remove_all(root);
}

}  // namespace
