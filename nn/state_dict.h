// StateDict: named tensors in insertion order, what Module::state_dict() returns and what
// a safetensors file holds (PyTorch's OrderedDict[str, Tensor]).
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace aime::nn {

// String key-value pairs stored next to tensors (safetensors' __metadata__).
using Metadata = std::map<std::string, std::string>;

class StateDict {
 public:
  using Item = std::pair<std::string, Tensor>;

  // Adds a new name or replaces the tensor of an existing one (keeping its position).
  void set(const std::string& name, const Tensor& tensor);
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // Throws ValueError naming the missing key.
  const Tensor& at(const std::string& name) const;
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<std::string> keys() const;
  std::vector<Item>::const_iterator begin() const { return items_.begin(); }
  std::vector<Item>::const_iterator end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace aime::nn
