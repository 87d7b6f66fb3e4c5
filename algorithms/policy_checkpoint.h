// Policy folders: what `aime imitate` writes and `aime evaluate` reads (also the
// original's folders with a policy.pt, see algorithms/checkpoint.h). One file,
// <dir>/policy.safetensors, holds everything needed to act, so a folder can be copied
// alone:
//   aime, dreamer,      the TanhGaussianPolicy ("policy.*") and the frozen world model
//   plan2explore        it acts through ("world_model.*", with the model's config);
//   bc / bco / iidm     the FrameStackPolicy ("policy.*", with its FrameStackConfig).
// Metadata: format "aime policy", policy.algo, the configs, and whatever the trainer adds
// (the training's seed, steps, the demonstrations' folder). Written atomically.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "algorithms/frame_stack.h"
#include "envs/policy.h"
#include "models/tanh_gaussian_policy.h"
#include "models/world_model.h"

namespace aime::algorithms {

// `algo`: "aime", or the agent that trained the policy ("dreamer", "plan2explore": a policy
// on the same filtered state, loaded and acting the same way).
void save_aime_policy(const std::string& dir, const models::WorldModel& model, const models::TanhGaussianPolicy& policy,
                      const nn::Metadata& extra = {}, const std::string& algo = "aime");
void save_frame_stack_policy(const std::string& dir, const FrameStackPolicy& policy, const std::string& algo,
                             const nn::Metadata& extra = {});

struct LoadedPolicy {
  std::string algo;
  nn::Metadata metadata;
  std::vector<std::shared_ptr<nn::Module>> modules;  // what the actor acts through
  std::unique_ptr<envs::Policy> actor;               // declared last: destroyed first
};

// Rebuilds the networks from the folder's metadata and loads their weights (strict); errors
// name the folder and what is missing. An original folder (model.pt, config.yaml,
// policy.pt) loads as an aime policy acting through its world model.
LoadedPolicy load_policy(const std::string& dir);

// The frame size a saved policy reads: its image sensor's, from the sensors its metadata
// records (policy.inputs for the baselines, world_model.inputs for AIME's and Dreamer's),
// else the environment's default (a policy that reads no image).
std::int64_t policy_frame_size(const nn::Metadata& metadata);

// The original's policy.pt (its TanhGaussianPolicy's state dict) for `model`, sizes from
// the shapes.
std::unique_ptr<models::TanhGaussianPolicy> load_original_policy(const std::string& path, const models::WorldModel& model);

}  // namespace aime::algorithms
