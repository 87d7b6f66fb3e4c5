#include "nn/gru.h"

#include <cmath>

#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/shape_ops.h"
#include "nn/init.h"

namespace aime::nn {

namespace {
// Checks x [B, in] / [in] against h [B, H] / [H] and returns h (zeros when undefined).
Tensor checked_state(const char* cell, const Tensor& x, const Tensor& h, std::int64_t in, std::int64_t hidden,
                     DType dtype) {
  const bool batched = x.dim() == 2;
  if ((x.dim() != 1 && x.dim() != 2) || x.size(-1) != in)
    throw ShapeError(std::string(cell) + ": input must be [B, " + std::to_string(in) + "] or [" + std::to_string(in) +
                     "], got " + shape_str(x.shape()));
  const Shape want = batched ? Shape{x.size(0), hidden} : Shape{hidden};
  if (!h.defined()) return zeros(want, dtype, x.device());
  if (h.shape() != want)
    throw ShapeError(std::string(cell) + ": state must be " + shape_str(want) + " for input " + shape_str(x.shape()) +
                     ", got " + shape_str(h.shape()));
  return h;
}
}  // namespace

GRUCell::GRUCell(std::int64_t in, std::int64_t hidden, bool has_bias, Generator& gen)
    : Module("GRUCell"), input_size(in), hidden_size(hidden) {
  if (in <= 0 || hidden <= 0)
    throw ValueError("GRUCell: input_size and hidden_size must be positive, got " + std::to_string(in) + " and " +
                     std::to_string(hidden));
  weight_ih = register_parameter("weight_ih", empty({3 * hidden, in}));
  weight_hh = register_parameter("weight_hh", empty({3 * hidden, hidden}));
  if (has_bias) {
    bias_ih = register_parameter("bias_ih", empty({3 * hidden}));
    bias_hh = register_parameter("bias_hh", empty({3 * hidden}));
  }
  reset_parameters(gen);
}

void GRUCell::reset_parameters(Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (const auto& p : parameters(false)) init::uniform_(p, -bound, bound, gen);
}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h_in) {
  const Tensor h = checked_state("GRUCell", x, h_in, input_size, hidden_size, weight_ih.dtype());
  const auto gi = chunk(linear(x, weight_ih, bias_ih), 3, -1);  // W_i* x + b_i*
  const auto gh = chunk(linear(h, weight_hh, bias_hh), 3, -1);  // W_h* h + b_h*
  const Tensor r = sigmoid(gi[0] + gh[0]);
  const Tensor z = sigmoid(gi[1] + gh[1]);
  const Tensor n = tanh(gi[2] + r * gh[2]);
  return n + z * (h - n);  // (1 - z) n + z h
}

std::string GRUCell::extra_repr() const {
  return std::to_string(input_size) + ", " + std::to_string(hidden_size) + (bias_ih.defined() ? "" : ", bias=False");
}

LayerNormGRUCell::LayerNormGRUCell(std::int64_t in, std::int64_t hidden, double update_bias_, Generator& gen)
    : Module("LayerNormGRUCell"), input_size(in), hidden_size(hidden), update_bias(update_bias_) {
  if (in <= 0 || hidden <= 0)
    throw ValueError("LayerNormGRUCell: input_size and hidden_size must be positive, got " + std::to_string(in) +
                     " and " + std::to_string(hidden));
  linear = register_module("linear", std::make_shared<Linear>(in + hidden, 3 * hidden, false, gen));
  norm = register_module("norm", std::make_shared<LayerNorm>(Shape{3 * hidden}));
}

Tensor LayerNormGRUCell::forward(const Tensor& x, const Tensor& h_in) {
  const Tensor h = checked_state("LayerNormGRUCell", x, h_in, input_size, hidden_size, linear->weight.dtype());
  const auto parts = chunk(norm->forward(linear->forward(cat({x, h}, -1))), 3, -1);
  const Tensor reset = sigmoid(parts[0]);
  const Tensor candidate = tanh(reset * parts[1]);
  const Tensor update = sigmoid(parts[2] + update_bias);
  return h + update * (candidate - h);  // u c + (1 - u) h
}

std::string LayerNormGRUCell::extra_repr() const {
  return std::to_string(input_size) + ", " + std::to_string(hidden_size) +
         ", update_bias=" + std::to_string(update_bias);
}

}  // namespace aime::nn
