// CpuAllocator: host memory for tensors, cached across training steps (a private header of
// the CPU backend).
//
// A training step allocates the same tensors every iteration, so after the first one no
// request should reach the system allocator: fresh pages fault in one by one, and a 300 MB
// activation costs ~75k page faults. Two pools:
//   small (< 1 MiB): free lists per 64-byte rounded size;
//   large: blocks carved out of segments (2 MiB rounded, from aligned_alloc). A request
//     takes the best-fitting free block (the smallest at least as large) and splits off
//     the rest; a freed block merges with its free neighbours in the segment. Memory held
//     therefore follows the step's peak of live bytes, not a peak per tensor size (the
//     idea of PyTorch's CUDA caching allocator, on the host).
// Wholly free segments go back to the system through empty_cache(), and when a request fits
// no free block: the step's first pass leaves segments sized for its early requests, which
// later ones cannot use, and keeping them held half as much again as the step's peak of
// live bytes on the original's visual RSSM step (benchmarks/README.md, lever 20).
// Thread-safe (one mutex): ops may allocate from inside parallel regions. The backend never
// destroys its allocator, so a tensor freed during static destruction at exit stays valid.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/backend.h"

namespace aime::cpu {

class CpuAllocator {
 public:
  CpuAllocator() = default;
  // Returns the cache (free blocks and wholly free segments) to the system; blocks still
  // live are left alone. (The backend's own allocator is never destroyed: see above.)
  ~CpuAllocator() { empty_cache(); }
  CpuAllocator(const CpuAllocator&) = delete;
  CpuAllocator& operator=(const CpuAllocator&) = delete;

  void* allocate(std::size_t nbytes);  // 64-byte aligned; throws Error when the system has no memory
  void deallocate(void* ptr);
  void empty_cache();
  MemoryStats stats() const;
  void reset_peak();

  static constexpr std::size_t kAlignment = 64;                  // a cache line (AVX-512 loads)
  static constexpr std::size_t kLargeRequest = 1 << 20;         // from here on: the large pool
  static constexpr std::size_t kLargeRounding = 64 << 10;        // large sizes in 64 KiB steps
  static constexpr std::size_t kSegmentRounding = 2 << 20;       // segments in 2 MiB steps

 private:
  struct Block {
    char* ptr;
    std::size_t size;
    bool free;
    Block* prev;  // neighbours in the same segment, by address
    Block* next;
  };
  void* allocate_large(std::size_t rounded, std::size_t& held);  // held: the block's size
  void deallocate_large(Block* b);
  void* system_alloc(std::size_t bytes);
  void release_free_blocks();    // the work of empty_cache, with the mutex held
  void release_free_segments();  // the large pool's part of it

  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> small_free_;
  std::unordered_map<void*, std::size_t> small_live_;
  std::set<std::pair<std::size_t, Block*>> large_free_;  // by size, then address: best fit
  std::unordered_map<void*, Block*> large_live_;
  std::int64_t allocated_ = 0, reserved_ = 0, peak_ = 0, allocs_ = 0, frees_ = 0;
};

}  // namespace aime::cpu
