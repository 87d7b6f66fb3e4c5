// MLP: the original's multilayer perceptron builder (aime/models/base.py, see
// ../shared/reference/aime-facts.md section 2):
//   hidden_layers x [Linear -> LayerNorm (if layer_norm) -> hidden activation],
//   then (if have_head) Linear(hidden, out) -> output activation.
// Without a head the output size is hidden_size. Inputs [..., in] are flattened to 2-D and
// reshaped back to [..., out]. Layers are named "0", "1", ... in that order, as a PyTorch
// nn.Sequential built the same way (parameter-free activations take an index too).
#pragma once
#include <string>

#include "autograd/generator.h"
#include "nn/sequential.h"

namespace aime::nn {

struct MLPOptions {
  std::int64_t in_features = 0;
  std::int64_t out_features = 0;  // ignored without a head
  std::int64_t hidden_size = 128;
  std::int64_t hidden_layers = 2;
  bool layer_norm = false;  // the original's norm: "ln"
  bool have_head = true;
  std::string hidden_activation = "elu";
  std::string output_activation = "identity";
};

// MLPOptions in one call, in the original's argument order.
MLPOptions mlp_options(std::int64_t in_features, std::int64_t out_features, std::int64_t hidden_size,
                       std::int64_t hidden_layers, bool layer_norm = false, const std::string& hidden_activation = "elu",
                       const std::string& output_activation = "identity", bool have_head = true);

class MLP : public Sequential {
 public:
  explicit MLP(const MLPOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;

  const MLPOptions options;
  const std::int64_t output_size;
};

}  // namespace aime::nn
