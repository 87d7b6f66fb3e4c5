// Python's pickle, restricted to what a PyTorch state dict needs, in both directions.
//
// Reading (`unpickle_state_dict`) runs the pickle machine (opcodes of protocols 0-5 that
// build data: ints, floats, strings, bytes, tuples, lists, dicts, the memo, marks, frames)
// but never executes anything: a global is accepted only from a fixed list, by name, and
// its "call" (REDUCE) is interpreted here, not run. The list is what torch.save writes for a
// state dict (docs/pytorch-format.md): collections.OrderedDict, torch._utils
// ._rebuild_tensor_v2 / _rebuild_parameter(_with_state), and the typed storage classes
// (torch.FloatStorage, ...), which may appear only inside a persistent id. Any other
// global (posix.system, builtins.eval, ...) is refused by its name, which is the promise of
// torch.load(weights_only=True). Every length is checked against the bytes left, memo
// references must exist, containers nest at most 64 deep, so a corrupt or hostile pickle
// ends in a ValueError naming the source and the byte offset, never a crash or a giant
// allocation.
//
// Writing (`pickle_state_dict`) emits protocol 2 exactly as torch.save lays out a state
// dict: an OrderedDict of name -> _rebuild_tensor_v2(persistent storage id, offset, size,
// stride, False, OrderedDict()).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aime::nn::pickle {

// A tensor as the pickle describes it: a view (offset, sizes, strides, in elements) of a
// storage that lives in the archive as data/<key>.
struct TensorRecord {
  std::string storage_key;    // "0", "1", ...: the archive entry data/<key>
  std::string storage_type;   // "FloatStorage", "HalfStorage", ...
  std::string location;       // "cpu", "cuda:0", ...
  std::int64_t storage_numel = 0;
  std::int64_t offset = 0;
  std::vector<std::int64_t> sizes, strides;
};

// The state dict in file order (keys must be strings, values tensors).
std::vector<std::pair<std::string, TensorRecord>> unpickle_state_dict(const std::string& bytes,
                                                                      const std::string& source);

// The storage classes a state dict may name, with their element size in bytes (0: unknown).
std::size_t storage_element_size(const std::string& storage_type);

// Protocol 2 bytes of an OrderedDict name -> tensor record (each record's storage_numel,
// sizes and strides as given; location as given, e.g. "cpu").
std::string pickle_state_dict(const std::vector<std::pair<std::string, TensorRecord>>& entries);

}  // namespace aime::nn::pickle
