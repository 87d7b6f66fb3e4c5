// Gated recurrent unit cells: one step h_t = cell(x_t, h_{t-1}) of the RSSM's
// deterministic path. Input x [B, in] (or [in]), state h [B, H] (or [H]; zeros when
// undefined) -> new state, same shape as h.
#pragma once
#include "autograd/generator.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace aime::nn {

// The standard GRU (Cho et al. 2014) exactly as torch.nn.GRUCell, gate order r, z, n:
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
//   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
//   h' = (1 - z) * n + z * h
// All weights and biases ~ U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's default).
class GRUCell : public Module {
 public:
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x, const Tensor& h = Tensor());
  Tensor operator()(const Tensor& x, const Tensor& h = Tensor()) { return forward(x, h); }
  void reset_parameters(Generator& gen = default_generator());

  const std::int64_t input_size, hidden_size;
  Tensor weight_ih;  // [3H, in], rows r | z | n
  Tensor weight_hh;  // [3H, H]
  Tensor bias_ih;    // [3H]
  Tensor bias_hh;    // [3H]

 protected:
  std::string extra_repr() const override;
};

// The layer-normalised GRU of Dreamer-style RSSMs (DreamerV2/V3's GRUCell with norm):
// one bias-free Linear over [x, h], LayerNorm over its 3H outputs, then
//   r = sigmoid(p_r),  c = tanh(r * p_c),  u = sigmoid(p_u + update_bias)
//   h' = u * c + (1 - u) * h
// with update_bias = -1 so that a fresh cell leans towards keeping its state.
class LayerNormGRUCell : public Module {
 public:
  LayerNormGRUCell(std::int64_t input_size, std::int64_t hidden_size, double update_bias = -1.0,
                   Generator& gen = default_generator());
  Tensor forward(const Tensor& x, const Tensor& h = Tensor());
  Tensor operator()(const Tensor& x, const Tensor& h = Tensor()) { return forward(x, h); }

  const std::int64_t input_size, hidden_size;
  const double update_bias;
  std::shared_ptr<Linear> linear;   // [in + H] -> [3H], rows r | c | u, no bias
  std::shared_ptr<LayerNorm> norm;  // over 3H

 protected:
  std::string extra_repr() const override;
};

}  // namespace aime::nn
