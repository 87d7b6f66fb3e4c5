// The original's state-dict names (its `SSM` and `TanhGaussianPolicy`, aime/models/ssm.py
// and policy.py) for this project's modules, so that a released model.pt / policy.pt loads
// as it is and a model trained here loads in the original code with
// load_state_dict(strict=True). The rules (docs/pytorch-format.md), checked key for key
// and shape for shape on walker RSSM and cheetah RSSMO in every setup by
// tests/models/original_names_test.cpp:
//   ssm.initial_h, ssm.initial_z        initial_memory, initial_state
//   ssm.memory_cell.*                   memory_cell.*
//   ssm.<mlp>.N.*                       <mlp>.net.N.*  (prior_*, posterior_*, pre_memory, prior_net, ...)
//   encoder.<s>.net.N.* (cnn_ha)        encoders.<s>.net.N.*
//   encoder.tabular.N.* (mlp)           encoders.tabular.net.N.*
//   decoders.<image>.fc.*               decoders.<image>.net.0.*
//   decoders.<image>.net.K.*            decoders.<image>.net.(K+2).*
//   decoders.<s>.mean_net.N.* (smlp)    decoders.<s>.mu_net.net.N.*
//   decoders.<s>.std_net.N.* (smlp)     decoders.<s>.std_net.net.N.*
//   decoders|probes.<s>.net.N.* (dmlp)  decoders|probes.<s>.net.net.N.*
//   idm.{mean,std}_net.N.*, and a policy's {mean,std}_net.N.*: {mean,std}_net.net.N.*
#pragma once
#include <string>

#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"

namespace aime::models {

// The original's name for one of `model`'s state-dict keys (ValueError for a key the
// rules do not cover).
std::string original_key(const WorldModel& model, const std::string& key);

// `model`'s state dict under the original's names, in `model`'s order.
nn::StateDict to_original_state_dict(const WorldModel& model);
nn::StateDict to_original_state_dict(const TanhGaussianPolicy& policy);

// Loads a state dict in the original's names, strictly: every key of the model must be in
// it with the same shape and nothing else may be; errors name `source` and the original's
// keys (missing, unexpected, expected vs found shapes). Nothing is loaded unless all match.
void load_original_state_dict(WorldModel& model, const nn::StateDict& original, const std::string& source);
void load_original_state_dict(TanhGaussianPolicy& policy, const nn::StateDict& original, const std::string& source);

}  // namespace aime::models
