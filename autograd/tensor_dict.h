// TensorDict: named tensors in insertion order (PyTorch's OrderedDict[str, Tensor]). It is
// the one container of named tensors every layer shares:
//   - a batch of data (`Batch`): sensor or key -> [T, B, ...] time-major, as data/ collates
//     it, the world model's encoders read it and the algorithms pass it around;
//   - a module's state dict (nn::StateDict), what a safetensors file holds.
// Order is the order of insertion, so a batch keeps its dataset's key order and a state dict
// its modules' registration order; lookups by name are O(1).
#pragma once
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace aime {

class TensorDict {
 public:
  using Item = std::pair<std::string, Tensor>;

  TensorDict() = default;
  TensorDict(std::initializer_list<Item> items);

  // Adds a new name or replaces the tensor of an existing one (keeping its position).
  void set(const std::string& name, const Tensor& tensor);
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // Removes `name` (the others keep their order); false when there was none.
  bool erase(const std::string& name);
  // Throws ValueError naming the missing key.
  const Tensor& at(const std::string& name) const;
  // As at, the error saying "<who>: the batch has no '<name>'" (the caller's name for it).
  const Tensor& require(const std::string& name, const std::string& who) const;
  // The tensor of `name`, or nullptr when there is none.
  const Tensor* find(const std::string& name) const;
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<std::string> keys() const;
  std::vector<Item>::const_iterator begin() const { return items_.begin(); }
  std::vector<Item>::const_iterator end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, std::size_t> index_;
};

// A batch: key -> [T, B, ...] float32, time-major (sensors, `pre_action`, `reward`, ...).
using Batch = TensorDict;

}  // namespace aime
