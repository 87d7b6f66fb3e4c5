// MLP: the original's multilayer perceptron builder (aime/models/base.py, see
// docs/original.md §2):
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

// The first layer's product split by input columns, for an input [x_head; x_tail]:
//   W [x_head; x_tail] + b = W_head x_head + (W_tail x_tail + b).
// When x_tail is known for a whole sequence ahead of a recurrence (an RSSM's embeddings),
// the bracket is one [T*B, .] product and each step only multiplies x_head (benchmarks/README.md,
// "The levers", 2). `head_weight` is W_head made contiguous once, so the steps do not copy it.
struct SplitFirstLayer {
  Tensor head_weight;  // [hidden or out, head]
  Tensor tail_term;    // [..., hidden or out] = W_tail x_tail + b
};

class MLP : public Sequential {
 public:
  explicit MLP(const MLPOptions& options, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;

  // tail [..., in - head_size] -> the split of the first layer (see SplitFirstLayer).
  SplitFirstLayer split_first_layer(const Tensor& tail, std::int64_t head_size) const;
  // forward([head; tail]) for a head [B, head_size] and its tail term [B, .] (a step of
  // split.tail_term): equal to forward(cat({head, tail}, -1)) up to rounding.
  Tensor forward_split(const Tensor& head, const Tensor& head_weight, const Tensor& tail_term) const;

  const MLPOptions options;
  const std::int64_t output_size;
};

}  // namespace aime::nn
