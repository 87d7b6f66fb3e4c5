// Sequential: a chain of one-tensor modules, named "0", "1", ... as in torch.nn.Sequential
// (so state_dict keys match a PyTorch Sequential of the same layers).
#pragma once
#include <memory>
#include <vector>

#include "nn/module.h"

namespace aime::nn {

class Sequential : public UnaryModule {
 public:
  Sequential() : UnaryModule("Sequential") {}
  explicit Sequential(std::vector<std::shared_ptr<UnaryModule>> layers);
  // Appends a layer under the next index; returns *this for chaining.
  Sequential& push_back(std::shared_ptr<UnaryModule> layer);
  Tensor forward(const Tensor& x) override;

  std::size_t size() const { return layers_.size(); }
  const std::shared_ptr<UnaryModule>& operator[](std::size_t i) const { return layers_.at(i); }

 protected:
  explicit Sequential(std::string type_name) : UnaryModule(std::move(type_name)) {}

 private:
  std::vector<std::shared_ptr<UnaryModule>> layers_;
};

}  // namespace aime::nn
