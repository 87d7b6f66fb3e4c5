#include "autograd/cpu/cpu_allocator.h"

#include <cstdlib>
#include <string>

namespace aime::cpu {

namespace {
std::size_t round_up(std::size_t n, std::size_t step) { return (n + step - 1) / step * step; }
}  // namespace

// aligned_alloc, or (out of memory) release the free cache and try once more.
void* CpuAllocator::system_alloc(std::size_t bytes) {
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (!p) {
    release_free_blocks();
    p = std::aligned_alloc(kAlignment, bytes);
    if (!p) throw Error("cpu allocate: out of memory asking for " + std::to_string(bytes) + " bytes");
  }
  reserved_ += static_cast<std::int64_t>(bytes);
  ++allocs_;
  return p;
}

void* CpuAllocator::allocate(std::size_t nbytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = nullptr;
  std::size_t size = 0;
  if (nbytes < kLargeRequest) {
    size = round_up(std::max<std::size_t>(nbytes, 1), kAlignment);
    auto& blocks = small_free_[size];
    if (!blocks.empty()) {
      p = blocks.back();
      blocks.pop_back();
    } else {
      p = system_alloc(size);
    }
    small_live_[p] = size;
  } else {
    p = allocate_large(round_up(nbytes, kLargeRounding), size);
  }
  allocated_ += static_cast<std::int64_t>(size);
  peak_ = std::max(peak_, allocated_);
  return p;
}

// Best fit among the free blocks; split off the remainder when it is worth a block.
void* CpuAllocator::allocate_large(std::size_t size, std::size_t& held) {
  Block* b = nullptr;
  auto it = large_free_.lower_bound({size, nullptr});
  if (it != large_free_.end()) {
    b = it->second;
    large_free_.erase(it);
  } else {
    // No free block fits: the wholly free segments are too small for this request, and
    // kept they would sit beside the new segment (a step's first pass leaves many such,
    // sized for its first requests). Give them back before asking for more.
    release_free_segments();
    const std::size_t segment = round_up(size, kSegmentRounding);
    b = new Block{static_cast<char*>(system_alloc(segment)), segment, true, nullptr, nullptr};
  }
  if (b->size - size >= kLargeRequest) {
    Block* rest = new Block{b->ptr + size, b->size - size, true, b, b->next};
    if (b->next) b->next->prev = rest;
    b->next = rest;
    b->size = size;
    large_free_.insert({rest->size, rest});
  }
  b->free = false;
  large_live_[b->ptr] = b;
  held = b->size;
  return b->ptr;
}

void CpuAllocator::deallocate(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto small = small_live_.find(ptr);
  if (small != small_live_.end()) {
    allocated_ -= static_cast<std::int64_t>(small->second);
    small_free_[small->second].push_back(ptr);
    small_live_.erase(small);
    return;
  }
  auto large = large_live_.find(ptr);
  if (large == large_live_.end()) return;  // not ours (never happens through Storage)
  Block* b = large->second;
  large_live_.erase(large);
  deallocate_large(b);
}

// Marks b free and merges it with free neighbours (the size it held counts as given back
// in full, remainder included).
void CpuAllocator::deallocate_large(Block* b) {
  allocated_ -= static_cast<std::int64_t>(b->size);
  b->free = true;
  if (Block* n = b->next; n && n->free) {
    large_free_.erase({n->size, n});
    b->size += n->size;
    b->next = n->next;
    if (n->next) n->next->prev = b;
    delete n;
  }
  if (Block* p = b->prev; p && p->free) {
    large_free_.erase({p->size, p});
    p->size += b->size;
    p->next = b->next;
    if (b->next) b->next->prev = p;
    delete b;
    b = p;
  }
  large_free_.insert({b->size, b});
}

void CpuAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_free_blocks();
}

void CpuAllocator::release_free_blocks() {
  for (auto& [size, blocks] : small_free_)
    for (void* p : blocks) {
      std::free(p);
      reserved_ -= static_cast<std::int64_t>(size);
      ++frees_;
    }
  small_free_.clear();
  release_free_segments();
}

// Whole free segments: a free block with no neighbours.
void CpuAllocator::release_free_segments() {
  for (auto it = large_free_.begin(); it != large_free_.end();) {
    Block* b = it->second;
    if (b->prev || b->next) {
      ++it;
      continue;
    }
    std::free(b->ptr);
    reserved_ -= static_cast<std::int64_t>(b->size);
    ++frees_;
    delete b;
    it = large_free_.erase(it);
  }
}

MemoryStats CpuAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  MemoryStats s;
  s.allocated_bytes = allocated_;
  s.peak_bytes = peak_;
  s.reserved_bytes = reserved_;
  s.num_allocs = allocs_;
  s.num_frees = frees_;
  return s;
}

void CpuAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  peak_ = allocated_;
}

}  // namespace aime::cpu
