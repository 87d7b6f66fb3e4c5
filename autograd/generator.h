// Seeded random numbers: Philox4x32-10 (Salmon et al., SC'11), a counter-based generator.
// Element i of a draw depends only on (seed, offset + i/4), so a draw fills in parallel and
// any backend reproduces the same numbers bit for bit. One seed fixes every stream: each
// draw advances `offset`, and a run that makes the same draws in the same order gets the
// same numbers.
#pragma once
#include <cstdint>

namespace aime {

class Generator {
 public:
  // A data-parallel process's rows of every draw (distributed/batch_shard.h): with rows set,
  // a draw of shape [end - begin, ...] returns rows [begin, end) of the [total, ...] draw an
  // unsharded generator would make, and advances the offset as that whole draw does. So the
  // ranks of a run together draw exactly the numbers of one process, whatever their number.
  struct Rows {
    std::int64_t total = 0;  // 0: not sharded
    std::int64_t begin = 0, end = 0;
  };

  explicit Generator(std::uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(std::uint64_t seed) { seed_ = seed; offset_ = 0; }
  std::uint64_t seed() const { return seed_; }
  std::uint64_t offset() const { return offset_; }
  void set_offset(std::uint64_t offset) { offset_ = offset; }
  // Reserves `n` blocks of 4 numbers; returns the first block's counter.
  std::uint64_t advance(std::uint64_t n_blocks) {
    std::uint64_t first = offset_;
    offset_ += n_blocks;
    return first;
  }
  // ValueError unless 0 <= begin < end <= total (or total == 0: unshard).
  void set_rows(Rows rows);
  const Rows& rows() const { return rows_; }

 private:
  std::uint64_t seed_;
  std::uint64_t offset_ = 0;
  Rows rows_;
};

// The process-wide generator used when an op is given none; `manual_seed` resets it.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

// One Philox4x32-10 block: 4 uniformly distributed 32-bit words for (key, counter).
struct Philox4 {
  std::uint32_t v[4];
};
inline Philox4 philox4x32_10(std::uint64_t key, std::uint64_t counter) {
  std::uint32_t c0 = static_cast<std::uint32_t>(counter), c1 = static_cast<std::uint32_t>(counter >> 32);
  std::uint32_t c2 = 0, c3 = 0;
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

}  // namespace aime
