// The caching allocator: see cuda_allocator.h.
#include <algorithm>

#include "autograd/cuda/cuda_allocator.h"
#include "autograd/cuda/cuda_check.h"

namespace aime::cuda {

std::size_t CachingAllocator::round_size(std::size_t nbytes) {
  constexpr std::size_t kSmall = 512, kLarge = std::size_t{2} << 20, kLargeFrom = std::size_t{1} << 20;
  if (nbytes < kLargeFrom) return std::max(kSmall, (nbytes + kSmall - 1) / kSmall * kSmall);
  return (nbytes + kLarge - 1) / kLarge * kLarge;
}

void* CachingAllocator::allocate(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  const std::size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = nullptr;
  auto it = free_blocks_.find(size);
  if (it != free_blocks_.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
  } else {
    cudaError_t err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation) {
      // Out of memory: give the cached blocks back and try once more.
      (void)cudaGetLastError();
      for (auto& [bytes, blocks] : free_blocks_)
        for (void* b : blocks) {
          cudaFree(b);
          stats_.reserved_bytes -= static_cast<std::int64_t>(bytes);
          ++stats_.num_frees;
        }
      free_blocks_.clear();
      err = cudaMalloc(&p, size);
    }
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      throw DeviceError("cuda allocate: cudaMalloc of " + std::to_string(size) + " bytes on cuda:" +
                        std::to_string(device_) + " failed: " + cudaGetErrorString(err) + " (allocated " +
                        std::to_string(stats_.allocated_bytes) + " bytes, reserved " +
                        std::to_string(stats_.reserved_bytes) + ")");
    }
    stats_.reserved_bytes += static_cast<std::int64_t>(size);
    ++stats_.num_allocs;
  }
  stats_.allocated_bytes += static_cast<std::int64_t>(size);
  stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.allocated_bytes);
  return p;
}

void CachingAllocator::deallocate(void* ptr, std::size_t nbytes) {
  if (!ptr) return;
  const std::size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.allocated_bytes -= static_cast<std::int64_t>(size);
  free_blocks_[size].push_back(ptr);
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_blocks_.empty()) return;
  AIME_CUDA_CHECK("empty_cache", cudaSetDevice(device_));
  for (auto& [bytes, blocks] : free_blocks_)
    for (void* b : blocks) {
      AIME_CUDA_CHECK("empty_cache", cudaFree(b));
      stats_.reserved_bytes -= static_cast<std::int64_t>(bytes);
      ++stats_.num_frees;
    }
  free_blocks_.clear();
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_bytes = stats_.allocated_bytes;
}

}  // namespace aime::cuda
