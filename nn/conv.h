// Conv2d and ConvTranspose2d (torch.nn.Conv2d / ConvTranspose2d) with square kernels, one
// stride and one padding for both spatial dims: what the original's cnn_ha encoder and
// decoder use. Input [N, C, H, W]; the maths is in autograd/ops/conv.h.
#pragma once
#include "autograd/generator.h"
#include "nn/module.h"

namespace aime::nn {

class Conv2d : public UnaryModule {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, std::int64_t stride = 1,
         std::int64_t padding = 0, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  // PyTorch's default: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * k * k.
  void reset_parameters(Generator& gen = default_generator());

  const std::int64_t in_channels, out_channels, kernel_size, stride, padding;
  Tensor weight;  // [out, in, k, k]
  Tensor bias;    // [out]

 protected:
  std::string extra_repr() const override;
};

class ConvTranspose2d : public UnaryModule {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                  std::int64_t stride = 1, std::int64_t padding = 0, std::int64_t output_padding = 0,
                  bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  // PyTorch's default, with its fan_in read off the [in, out, k, k] weight as for a
  // conv: fan_in = out_channels * k * k (sic), for W and b alike.
  void reset_parameters(Generator& gen = default_generator());

  const std::int64_t in_channels, out_channels, kernel_size, stride, padding, output_padding;
  Tensor weight;  // [in, out, k, k]
  Tensor bias;    // [out]

 protected:
  std::string extra_repr() const override;
};

}  // namespace aime::nn
