#include "distributed/batch_shard.h"

#include <algorithm>
#include <string>

#include "autograd/error.h"

namespace aime::distributed {

BatchShard shard_batch(std::int64_t batch, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw ValueError("shard_batch: rank " + std::to_string(rank) + " of " + std::to_string(ranks) + " ranks");
  if (batch < ranks)
    throw ValueError("--batch-size " + std::to_string(batch) + " is the global batch and must be at least the number of ranks (" +
                     std::to_string(ranks) + "): every rank computes at least one window");
  const std::int64_t base = batch / ranks, extra = batch % ranks;
  BatchShard s;
  s.total = batch;
  s.begin = rank * base + std::min<std::int64_t>(rank, extra);
  s.end = s.begin + base + (rank < extra ? 1 : 0);
  return s;
}

}  // namespace aime::distributed
