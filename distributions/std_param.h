// Turning a network's raw output into a positive standard deviation, the two ways the
// original's world models do it (docs/original.md §2):
//   softplus_std:  s = softplus(x) + min_std            (RSSM: min_std 1e-6 = MIN_STD)
//   sigmoid_std:   s = 2 sigmoid(x / 2) + min_std       (RSSMO, "from dreamerv2": min_std 0.1)
// and splitting one output [..., 2D] into (mean, raw std), as RSSMO's prior and posterior
// nets produce them.
#pragma once
#include <utility>

#include "autograd/tensor.h"

namespace aime::distributions {

constexpr double kMinStd = 1e-6;  // the original's MIN_STD

Tensor softplus_std(const Tensor& raw, double min_std = kMinStd);
Tensor sigmoid_std(const Tensor& raw, double min_std = 0.1);
// [..., 2D] -> ([..., D], [..., D]): the first half is the mean, the second the raw std.
std::pair<Tensor, Tensor> split_mean_std(const Tensor& output);

}  // namespace aime::distributions
