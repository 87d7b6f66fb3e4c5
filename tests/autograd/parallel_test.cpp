#include "autograd/parallel.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <mutex>
#include <set>

#include "autograd/api.h"

namespace aime {
namespace {

std::set<int> threads_used(std::int64_t n, std::int64_t grain) {
  std::set<int> ids;
  std::mutex m;
  std::int64_t covered = 0;
  parallel_for(0, n, grain, [&](std::int64_t lo, std::int64_t hi) {
    std::lock_guard<std::mutex> lock(m);
    ids.insert(omp_get_thread_num());
    covered += hi - lo;
  });
  EXPECT_EQ(covered, n);
  return ids;
}

TEST(Parallel, LargeRangesUseEveryThreadSmallOnesRunInline) {
  if (num_threads() < 2) GTEST_SKIP() << "one hardware thread: nothing to spread";
  EXPECT_EQ(threads_used(1 << 20, kGrainSize).size(), static_cast<std::size_t>(num_threads()));
  EXPECT_EQ(threads_used(1000, kGrainSize).size(), 1u);
  EXPECT_EQ(threads_used(kGrainSize, kGrainSize).size(), 1u);
}

TEST(Parallel, ExceptionsReachTheCaller) {
  EXPECT_THROW(parallel_for(0, 1 << 20, 1, [](std::int64_t lo, std::int64_t) {
                 if (lo == 0) throw ValueError("boom");
               }),
               ValueError);
}

TEST(Parallel, ResultsDoNotDependOnTheThreadCount) {
  const int before = num_threads();
  Generator g(9);
  Tensor x = randn({300, 1000}, g);
  set_num_threads(1);
  const auto one = (tanh(x) * 2.0 + 1.0).sum(1).to_vector<float>();
  set_num_threads(std::max(before, 2));
  const auto many = (tanh(x) * 2.0 + 1.0).sum(1).to_vector<float>();
  set_num_threads(before);
  EXPECT_EQ(one, many);
}

}  // namespace
}  // namespace aime
