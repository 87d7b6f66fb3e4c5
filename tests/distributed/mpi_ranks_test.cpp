// Collectives between real ranks: this binary runs under mpirun (tests/distributed/
// mpi_run_test.cpp starts it with 2 and 3 ranks); every rank runs every test. Alone (no
// launcher, or a build without MPI) each test skips.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "autograd/api.h"
#include "distributed/communicator.h"
#include "distributed/replica_check.h"

namespace aime::distributed {
namespace {

Communicator& ranks() {
  Communicator& w = world();
  return w;
}

#define NEED_RANKS()                                                            \
  if (ranks().size() < 2) GTEST_SKIP() << "needs mpirun -np 2 or more (and a build with MPI)"

TEST(MpiRanks, AllReduceSumsEveryRanksTensorInPlace) {
  NEED_RANKS();
  const int n = ranks().size(), r = ranks().rank();
  for (DType dtype : {kFloat32, kFloat64})
    for (std::int64_t size : {1, 7, 100000}) {
      // Rank r holds r + i: the sum is n * i + n (n - 1) / 2, exact in float32 for these sizes.
      Tensor t = (arange(0, static_cast<double>(size), 1, dtype) + static_cast<double>(r)).contiguous();
      ranks().all_reduce_sum(t);
      const auto v = t.to(kFloat64).to_vector<double>();
      for (std::int64_t i = 0; i < size; i += std::max<std::int64_t>(1, size / 97))
        ASSERT_EQ(v[static_cast<std::size_t>(i)], static_cast<double>(n * i + n * (n - 1) / 2)) << dtype_name(dtype);
    }
  std::vector<double> values{1.0, static_cast<double>(r)};
  ranks().all_reduce_sum(values);
  EXPECT_EQ(values[0], n);
  EXPECT_EQ(values[1], n * (n - 1) / 2);
  Tensor ints = arange(0, 3, 1, kInt64);
  EXPECT_THROW(ranks().all_reduce_sum(ints), DTypeError);  // every rank throws alike: no rank waits
}

TEST(MpiRanks, AllGatherPutsRankZeroFirst) {
  NEED_RANKS();
  const auto all = ranks().all_gather({static_cast<std::uint64_t>(ranks().rank()), 42});
  ASSERT_EQ(all.size(), 2u * static_cast<std::size_t>(ranks().size()));
  for (int r = 0; r < ranks().size(); ++r) {
    EXPECT_EQ(all[2 * static_cast<std::size_t>(r)], static_cast<std::uint64_t>(r));
    EXPECT_EQ(all[2 * static_cast<std::size_t>(r) + 1], 42u);
  }
  EXPECT_GE(ranks().local_rank(), 0);
  EXPECT_NE(ranks().name().find("mpi"), std::string::npos) << ranks().name();
}

TEST(MpiRanks, ReplicaCheckNamesTheFirstRankAndTensorThatDiffer) {
  NEED_RANKS();
  const Tensor a = arange(0, 10, 1, kFloat32), b = ones({3, 3});
  EXPECT_NO_THROW(check_same_on_every_rank(ranks(), "the parameters", {{"a", a}, {"b", b}}));
  // The last rank's "b" drifts by one ulp: every rank throws the same error.
  Tensor drifted = b.clone();
  if (ranks().rank() == ranks().size() - 1) drifted.data<float>()[4] = std::nextafter(1.0f, 2.0f);
  try {
    check_same_on_every_rank(ranks(), "the parameters after step 300", {{"a", a}, {"b", drifted}});
    FAIL() << "no ReplicaMismatchError";
  } catch (const ReplicaMismatchError& e) {
    const std::string want = "rank " + std::to_string(ranks().size() - 1) + " of " + std::to_string(ranks().size()) +
                             " differs from rank 0 in the parameters after step 300: 'b'";
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
  }
  // Another number of items is a difference too.
  std::vector<std::pair<std::string, Tensor>> items{{"a", a}};
  if (ranks().rank() == 1) items.emplace_back("extra", b);
  EXPECT_THROW(check_same_on_every_rank(ranks(), "the parameters", items), ReplicaMismatchError);
}

}  // namespace
}  // namespace aime::distributed
