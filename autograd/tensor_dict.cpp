#include "autograd/tensor_dict.h"

#include "autograd/error.h"

namespace aime {

TensorDict::TensorDict(std::initializer_list<Item> items) {
  for (const auto& [name, tensor] : items) set(name, tensor);
}

void TensorDict::set(const std::string& name, const Tensor& tensor) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    items_[it->second].second = tensor;
    return;
  }
  index_.emplace(name, items_.size());
  items_.emplace_back(name, tensor);
}

bool TensorDict::erase(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  const std::size_t i = it->second;
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
  index_.erase(it);
  for (auto& [key, position] : index_)
    if (position > i) --position;
  return true;
}

const Tensor& TensorDict::at(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw ValueError("TensorDict: no tensor named '" + name + "'");
  return *t;
}

const Tensor& TensorDict::require(const std::string& name, const std::string& who) const {
  const Tensor* t = find(name);
  if (!t) throw ValueError(who + ": the batch has no '" + name + "'");
  return *t;
}

const Tensor* TensorDict::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

std::vector<std::string> TensorDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

}  // namespace aime
