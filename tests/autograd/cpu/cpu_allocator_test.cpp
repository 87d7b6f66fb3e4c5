#include "autograd/cpu/cpu_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace aime::cpu {
namespace {

constexpr std::size_t MiB = 1 << 20;

TEST(CpuAllocator, SmallBlocksComeBackFromTheCacheAligned) {
  CpuAllocator a;
  void* p = a.allocate(1000);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % CpuAllocator::kAlignment, 0u);
  std::memset(p, 1, 1000);
  a.deallocate(p);
  const auto before = a.stats().num_allocs;
  void* q = a.allocate(1000);
  EXPECT_EQ(q, p);
  EXPECT_EQ(a.stats().num_allocs, before);
  a.deallocate(q);
  EXPECT_EQ(a.stats().allocated_bytes, 0);
}

// Freed neighbours merge; a request takes the best fit and splits off the rest: memory held
// follows the peak of live bytes, whatever the mix of sizes.
TEST(CpuAllocator, LargeBlocksSplitMergeAndServeOtherSizes) {
  CpuAllocator a;
  void* big = a.allocate(16 * MiB);
  a.deallocate(big);
  const MemoryStats after_first = a.stats();
  EXPECT_EQ(after_first.num_allocs, 1);
  EXPECT_EQ(after_first.allocated_bytes, 0);
  // Three smaller tensors fit in the freed 16 MiB without a new segment...
  void* x = a.allocate(5 * MiB);
  void* y = a.allocate(6 * MiB);
  void* z = a.allocate(4 * MiB);
  EXPECT_EQ(a.stats().num_allocs, 1);
  EXPECT_EQ(a.stats().reserved_bytes, after_first.reserved_bytes);
  std::memset(x, 1, 5 * MiB);
  std::memset(y, 2, 6 * MiB);
  std::memset(z, 3, 4 * MiB);
  EXPECT_EQ(static_cast<unsigned char*>(x)[5 * MiB - 1], 1);  // no overlap
  EXPECT_EQ(static_cast<unsigned char*>(y)[0], 2);
  // ...and once freed (in any order) they merge back into one block for a 16 MiB request.
  a.deallocate(y);
  a.deallocate(x);
  a.deallocate(z);
  void* again = a.allocate(16 * MiB);
  EXPECT_EQ(again, big);
  EXPECT_EQ(a.stats().num_allocs, 1);
  // A request larger than any free block gets its own segment.
  void* more = a.allocate(20 * MiB);
  EXPECT_EQ(a.stats().num_allocs, 2);
  EXPECT_GE(a.stats().peak_bytes, static_cast<std::int64_t>(36 * MiB));
  a.deallocate(again);
  a.deallocate(more);
  EXPECT_EQ(a.stats().allocated_bytes, 0);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved_bytes, 0);
  EXPECT_EQ(a.stats().num_frees, 2);
}

// A request that fits no free block first gives back the wholly free segments (too small
// for it), so memory held does not pile up segments sized for earlier requests; segments
// with a live block stay.
TEST(CpuAllocator, ARequestThatFitsNoFreeBlockGivesBackWhollyFreeSegments) {
  CpuAllocator a;
  void* small_seg = a.allocate(4 * MiB);
  void* kept = a.allocate(6 * MiB);
  void* kept_rest = a.allocate(2 * MiB);  // shares nothing with kept: its own segment
  a.deallocate(small_seg);
  a.deallocate(kept_rest);
  const std::int64_t before = a.stats().reserved_bytes;
  EXPECT_EQ(before, static_cast<std::int64_t>(12 * MiB));
  void* big = a.allocate(10 * MiB);  // fits neither free segment: both are given back
  EXPECT_EQ(a.stats().reserved_bytes, static_cast<std::int64_t>(16 * MiB));
  EXPECT_EQ(a.stats().num_frees, 2);
  std::memset(kept, 1, 6 * MiB);
  std::memset(big, 2, 10 * MiB);
  EXPECT_EQ(static_cast<unsigned char*>(kept)[6 * MiB - 1], 1);
  void* fits = a.allocate(3 * MiB);  // nothing free: a new segment, nothing to give back
  EXPECT_EQ(a.stats().num_frees, 2);
  a.deallocate(fits);
  a.deallocate(big);
  a.deallocate(kept);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved_bytes, 0);
}

TEST(CpuAllocator, EmptyCacheKeepsSegmentsInUse) {
  CpuAllocator a;
  void* x = a.allocate(3 * MiB);
  void* y = a.allocate(3 * MiB);
  a.deallocate(y);
  a.empty_cache();
  EXPECT_GT(a.stats().reserved_bytes, 0);  // x's segment is live
  std::memset(x, 7, 3 * MiB);
  a.deallocate(x);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved_bytes, 0);
}

}  // namespace
}  // namespace aime::cpu
