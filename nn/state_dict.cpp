#include "nn/state_dict.h"

namespace aime::nn {

void StateDict::set(const std::string& name, const Tensor& tensor) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    items_[it->second].second = tensor;
    return;
  }
  index_.emplace(name, items_.size());
  items_.emplace_back(name, tensor);
}

const Tensor& StateDict::at(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw ValueError("StateDict: no tensor named '" + name + "'");
  return items_[it->second].second;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

}  // namespace aime::nn
