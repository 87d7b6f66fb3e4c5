// The CUDA caching allocator (after PyTorch's): freed blocks stay with us, keyed by their
// rounded size, and are handed out again. A training step allocates the same sizes every
// iteration, so from the second step on no cudaMalloc or cudaFree is called: both are slow
// (cudaFree synchronises the whole device) and neither may happen inside a captured graph.
// MemoryStats::num_allocs counts the cudaMalloc calls, so a test can see the steady state.
//
// Why reuse is safe without events: every kernel and copy of a device runs on that device's
// one stream (cuda_backend.h), so work that used a block before it was freed is ordered
// before any work that uses it next.
//
// CUDA graphs (the plan; benchmarks/README.md, `cuda_bench`): capture a step after a warm-up step, so that the
// cache already holds every size; while capturing, blocks freed by the step go to a private
// pool owned by the graph instead of the shared cache (a replay rewrites them, so nothing
// outside the graph may be handed them), and return to the cache when the graph is
// destroyed. `begin_private_pool`/`end_private_pool` below are the seam for that.
// Internal to autograd/cuda/.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "autograd/backend.h"

namespace aime::cuda {

class CachingAllocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  // Rounded-size blocks: 512 bytes below 1 MiB, 2 MiB above (fewer distinct sizes, less
  // fragmentation for the large activations of a batch).
  static std::size_t round_size(std::size_t nbytes);

  void* allocate(std::size_t nbytes);  // nullptr for 0 bytes
  void deallocate(void* ptr, std::size_t nbytes);
  void empty_cache();  // cudaFree of every cached block (synchronises the device)
  MemoryStats stats() const;
  void reset_peak();

 private:
  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks_;
  MemoryStats stats_;
};

}  // namespace aime::cuda
