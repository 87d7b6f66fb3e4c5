// Initialisers (torch.nn.init): fill a tensor in place from a Generator, so that one seed
// fixes every initial weight. Layers call these from their reset_parameters() with
// PyTorch's defaults, so a model built here starts from the same distribution as the
// original (not the same numbers: the generators differ).
//
// fan_in/fan_out follow PyTorch's _calculate_fan_in_and_fan_out: for a weight of shape
// [out, in, k...], fan_in = in * prod(k) and fan_out = out * prod(k). (ConvTranspose's
// weight is [in, out, k...], so PyTorch's "fan_in" for it is out * prod(k); the layer
// keeps that quirk on purpose.)
#pragma once
#include <string>
#include <utility>

#include "autograd/generator.h"
#include "autograd/tensor.h"

namespace aime::nn::init {

// {fan_in, fan_out}; needs at least 2 dims (ValueError otherwise).
std::pair<std::int64_t, std::int64_t> fan_in_and_fan_out(const Tensor& weight);

// Recommended gain for a nonlinearity: linear/identity/conv/sigmoid 1, tanh 5/3,
// relu sqrt(2), leaky_relu sqrt(2 / (1 + a^2)), selu 3/4 (as torch.nn.init.calculate_gain).
double calculate_gain(const std::string& nonlinearity, double param = 0.01);

void uniform_(Tensor t, double low, double high, Generator& gen = default_generator());
void normal_(Tensor t, double mean, double std, Generator& gen = default_generator());
void constant_(Tensor t, double value);
void zeros_(Tensor t);
void ones_(Tensor t);

// U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).
void xavier_uniform_(Tensor t, double gain = 1.0, Generator& gen = default_generator());
// N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).
void xavier_normal_(Tensor t, double gain = 1.0, Generator& gen = default_generator());
// U(-b, b) with b = sqrt(3) * gain / sqrt(fan), gain = calculate_gain(nonlinearity, a) (He et
// al. 2015). PyTorch's Linear/Conv default is kaiming_uniform_(a = sqrt(5)), i.e.
// b = 1 / sqrt(fan_in).
void kaiming_uniform_(Tensor t, double a = 0.0, bool fan_in_mode = true, const std::string& nonlinearity = "leaky_relu",
                      Generator& gen = default_generator());
void kaiming_normal_(Tensor t, double a = 0.0, bool fan_in_mode = true, const std::string& nonlinearity = "leaky_relu",
                     Generator& gen = default_generator());
// A (semi-)orthogonal matrix (Saxe et al. 2013): the tensor viewed as [rows, cols] with
// rows = size(0) gets Q of the QR decomposition of a Gaussian matrix, signs fixed by
// diag(R) so that Q is uniformly (Haar) distributed, times gain.
void orthogonal_(Tensor t, double gain = 1.0, Generator& gen = default_generator());

}  // namespace aime::nn::init
