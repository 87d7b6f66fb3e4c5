// A data-parallel rank's share of a batch. The global batch of B windows is drawn as one
// process draws it (the sampler's seeded stream), and rank r of N computes windows
// [begin, end): the first B % N ranks take ceil(B / N) windows, the others floor(B / N). A
// rank's loss is its share's loss weighted by its fraction of the batch, (end - begin) / B,
// so that the sum over ranks of the gradients is the one-process gradient of the mean over
// all B windows (up to float rounding: the sum is taken in another order); terms the
// original sums over the batch (the IDM head's NLL) take weight 1. The model's noise is
// sharded the same way (Generator::Rows): rank r draws the rows [begin, end) of the noise of
// the whole batch, so a run's numbers do not depend on N.
#pragma once
#include <cstdint>

#include "autograd/generator.h"

namespace aime::distributed {

struct BatchShard {
  std::int64_t total = 1;  // B, the global batch
  std::int64_t begin = 0, end = 1;
  std::int64_t size() const { return end - begin; }
  // This share's fraction of the batch, (end - begin) / B: the weight of its mean terms.
  double weight() const { return static_cast<double>(size()) / static_cast<double>(total); }
  // For Generator::set_rows and the sampler: the whole batch when there is one rank.
  Generator::Rows rows() const { return size() == total ? Generator::Rows{} : Generator::Rows{total, begin, end}; }
};

// Rank `rank` of `ranks`' share of `batch` windows: ValueError when batch < ranks (a rank
// with no window would have no loss), naming --batch-size.
BatchShard shard_batch(std::int64_t batch, int rank, int ranks);

}  // namespace aime::distributed
