// The observation likelihood of the world models: log N(x | mean, std) per element, the
// decoders' Gaussians (images: std fixed at 1, targets in [0, 1]; vectors: std fixed at 1
// (dmlp) or predicted (smlp)), with the original's nll_reweight option (aime/models/ssm.py;
// docs/original.md §2):
//   None:    log N(x | mean, std)
//   DimWise: log N(x | mean, std) * sg(std)   (Seitzer et al. 2022's beta-NLL with beta = 1/2:
//            each dim weighted by its detached std; with std == 1 it equals None)
#pragma once
#include <string>

#include "autograd/tensor.h"

namespace aime::distributions {

enum class NllReweight { None, DimWise };

// "none" or "dim_wise" (the original's config values); ValueError otherwise.
NllReweight parse_nll_reweight(const std::string& name);

// Elementwise log-likelihood; mean and std broadcast against x.
Tensor gaussian_log_likelihood(const Tensor& x, const Tensor& mean, const Tensor& std,
                               NllReweight reweight = NllReweight::None);
// The same with a fixed scalar std (the cnn_ha and dmlp decoders: std = 1).
Tensor gaussian_log_likelihood(const Tensor& x, const Tensor& mean, double std = 1.0,
                               NllReweight reweight = NllReweight::None);

}  // namespace aime::distributions
