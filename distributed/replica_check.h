// The safety checks of a data-parallel run: its ranks must run the same configuration from
// the same weights, and their parameters must stay equal (every rank applies the same
// all-reduced gradient to the same weights, so they can drift apart only by a bug, a
// different build or a faulty machine). A check hashes (FNV-1a 64) each named item on every
// rank, gathers the hashes and compares them with rank 0's; every rank sees the same
// gather and so throws the same ReplicaMismatchError, naming the first differing rank and
// item, and no rank is left waiting.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd/error.h"
#include "autograd/tensor.h"
#include "distributed/communicator.h"

namespace aime::distributed {

class ReplicaMismatchError : public Error {
  using Error::Error;
};

// FNV-1a, 64 bits, continuing from `h`.
std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h = 14695981039346656037ull);
// Of a tensor's dtype, shape and values (copied to the host from a GPU).
std::uint64_t tensor_hash(const Tensor& t);

// `what` names the kind of items in the message ("the configuration", "the parameters at
// step 300"). Throws ReplicaMismatchError on every rank when some rank's hash of some item
// differs from rank 0's: "rank 2 of 4 differs from rank 0 in <what>: '<item>'".
void check_same_on_every_rank(Communicator& comm, const std::string& what,
                              const std::vector<std::pair<std::string, std::uint64_t>>& items);
void check_same_on_every_rank(Communicator& comm, const std::string& what,
                              const std::vector<std::pair<std::string, Tensor>>& tensors);

}  // namespace aime::distributed
