#include "distributed/replica_check.h"

namespace aime::distributed {

std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

std::uint64_t tensor_hash(const Tensor& t) {
  const Tensor host = t.detach().cpu().contiguous();
  const auto dtype = static_cast<int>(host.dtype());
  std::uint64_t h = fnv1a(&dtype, sizeof dtype);
  for (std::int64_t d : host.shape()) h = fnv1a(&d, sizeof d, h);
  return fnv1a(host.data_ptr(), static_cast<std::size_t>(host.numel()) * dtype_size(host.dtype()), h);
}

void check_same_on_every_rank(Communicator& comm, const std::string& what,
                              const std::vector<std::pair<std::string, std::uint64_t>>& items) {
  if (comm.size() == 1) return;
  // The count first: a rank with another number of items differs in the first position.
  std::vector<std::uint64_t> local{static_cast<std::uint64_t>(items.size())};
  const std::vector<std::uint64_t> counts = comm.all_gather(local);
  for (int r = 1; r < comm.size(); ++r)
    if (counts[static_cast<std::size_t>(r)] != counts[0])
      throw ReplicaMismatchError("rank " + std::to_string(r) + " of " + std::to_string(comm.size()) +
                                 " differs from rank 0 in " + what + ": it has " +
                                 std::to_string(counts[static_cast<std::size_t>(r)]) + " items, rank 0 " +
                                 std::to_string(counts[0]));
  local.clear();
  for (const auto& item : items) local.push_back(item.second);
  const std::vector<std::uint64_t> all = comm.all_gather(local);
  const std::size_t n = items.size();
  for (int r = 1; r < comm.size(); ++r)
    for (std::size_t i = 0; i < n; ++i)
      if (all[static_cast<std::size_t>(r) * n + i] != all[i])
        throw ReplicaMismatchError("rank " + std::to_string(r) + " of " + std::to_string(comm.size()) +
                                   " differs from rank 0 in " + what + ": '" + items[i].first +
                                   "' (the ranks must run the same build, command and data)");
}

void check_same_on_every_rank(Communicator& comm, const std::string& what,
                              const std::vector<std::pair<std::string, Tensor>>& tensors) {
  if (comm.size() == 1) return;
  std::vector<std::pair<std::string, std::uint64_t>> items;
  for (const auto& [name, t] : tensors) items.emplace_back(name, tensor_hash(t));
  check_same_on_every_rank(comm, what, items);
}

}  // namespace aime::distributed
