#include "nn/conv.h"

#include <cmath>

#include "autograd/ops/conv.h"
#include "autograd/ops/creation.h"
#include "nn/init.h"

namespace aime::nn {

namespace {
void check_geometry(const char* layer, std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                    std::int64_t padding) {
  if (in <= 0 || out <= 0 || k <= 0 || stride <= 0 || padding < 0)
    throw ValueError(std::string(layer) + ": channels, kernel_size and stride must be positive and padding >= 0, got in " +
                     std::to_string(in) + ", out " + std::to_string(out) + ", kernel " + std::to_string(k) +
                     ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding));
}

void check_input(const char* layer, const Tensor& x, std::int64_t channels) {
  if (x.dim() != 4 || x.size(1) != channels)
    throw ShapeError(std::string(layer) + ": input must be [N, " + std::to_string(channels) + ", H, W], got " +
                     shape_str(x.shape()));
}

// PyTorch's reset for conv layers: kaiming_uniform_(a = sqrt(5)) on the weight, then the
// bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in as fan_in_and_fan_out reads it.
void reset_conv(Tensor& weight, Tensor& bias, Generator& gen) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), true, "leaky_relu", gen);
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(init::fan_in_and_fan_out(weight).first));
    init::uniform_(bias, -bound, bound, gen);
  }
}

std::string geometry_repr(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride) {
  return std::to_string(in) + ", " + std::to_string(out) + ", kernel_size=(" + std::to_string(k) + ", " +
         std::to_string(k) + "), stride=(" + std::to_string(stride) + ", " + std::to_string(stride) + ")";
}
}  // namespace

Conv2d::Conv2d(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p, bool has_bias,
               Generator& gen)
    : UnaryModule("Conv2d"), in_channels(in), out_channels(out), kernel_size(k), stride(s), padding(p) {
  check_geometry("Conv2d", in, out, k, s, p);
  weight = register_parameter("weight", empty({out, in, k, k}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters(gen);
}

void Conv2d::reset_parameters(Generator& gen) { reset_conv(weight, bias, gen); }

Tensor Conv2d::forward(const Tensor& x) {
  check_input("Conv2d", x, in_channels);
  return conv2d(x, weight, bias, stride, padding);
}

std::string Conv2d::extra_repr() const {
  std::string s = geometry_repr(in_channels, out_channels, kernel_size, stride);
  if (padding) s += ", padding=(" + std::to_string(padding) + ", " + std::to_string(padding) + ")";
  if (!bias.defined()) s += ", bias=False";
  return s;
}

ConvTranspose2d::ConvTranspose2d(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                                 std::int64_t op, bool has_bias, Generator& gen)
    : UnaryModule("ConvTranspose2d"),
      in_channels(in), out_channels(out), kernel_size(k), stride(s), padding(p), output_padding(op) {
  check_geometry("ConvTranspose2d", in, out, k, s, p);
  if (op < 0 || op >= s)
    throw ValueError("ConvTranspose2d: output_padding must be in [0, stride), got " + std::to_string(op) +
                     " with stride " + std::to_string(s));
  weight = register_parameter("weight", empty({in, out, k, k}));
  if (has_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters(gen);
}

void ConvTranspose2d::reset_parameters(Generator& gen) { reset_conv(weight, bias, gen); }

Tensor ConvTranspose2d::forward(const Tensor& x) {
  check_input("ConvTranspose2d", x, in_channels);
  return conv_transpose2d(x, weight, bias, stride, padding, output_padding);
}

std::string ConvTranspose2d::extra_repr() const {
  std::string s = geometry_repr(in_channels, out_channels, kernel_size, stride);
  if (padding) s += ", padding=(" + std::to_string(padding) + ", " + std::to_string(padding) + ")";
  if (output_padding)
    s += ", output_padding=(" + std::to_string(output_padding) + ", " + std::to_string(output_padding) + ")";
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace aime::nn
