// The baselines' networks (the original's StackPolicyActor in aime/actor.py and its
// scripts/train_{bc,bco,iidm}.py; docs/original.md §4 "Baselines"): each frame's sensors
// are embedded on their own (cnn_ha for an image, identity for vectors), the embeddings of
// a stack of the last K frames (5; 1 in the mdp setup) are concatenated, and an MLP (128x2,
// ELU) maps them on:
//   FrameStackPolicy   stack -> action, tanh output             (BC, BCO's policy, IIDM's policy)
//                      also BCO's inverse model, over K + 1 frames -> the last pre_action
//   ForwardModel       [stack, action] -> next frame's sensors  (IIDM), the original's
//                      MultimodalDecoder: cnn_ha decoder for images, dmlp 128x2 for vectors
// Frames are time-major batches, sensor -> [K, B, ...], as the world model reads them.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <string>
#include "envs/policy.h"
#include "models/decoders.h"
#include "models/encoders.h"
#include "models/sensors.h"
#include "nn/mlp.h"

namespace aime::algorithms {

struct FrameStackConfig {
  std::vector<models::SensorSpec> inputs;  // the sensors of a frame
  std::int64_t stack = 5;
  std::int64_t action_size = 0;
  std::int64_t hidden_size = 128;
  std::int64_t hidden_layers = 2;
  std::int64_t cnn_width = 32;
  // Keys "<prefix>.inputs", "<prefix>.stack", ... (from_metadata names a missing or bad key).
  nn::Metadata to_metadata(const std::string& prefix) const;
  static FrameStackConfig from_metadata(const nn::Metadata& metadata, const std::string& prefix);
};

// One embedding per frame: images through cnn_ha, vectors as they are.
std::shared_ptr<models::MultimodalEncoder> make_frame_encoder(const FrameStackConfig& config, Generator& gen);

// [K, B, ...] frames -> [B, K * E]: each frame embedded, then concatenated oldest first.
Tensor embed_stack(const models::MultimodalEncoder& encoder, const Batch& frames);

class FrameStackPolicy : public nn::Module {
 public:
  FrameStackPolicy(const FrameStackConfig& config, Generator& gen = default_generator());
  Tensor forward(const Batch& frames);  // [K, B, ...] -> [B, A] in (-1, 1)
  const FrameStackConfig& config() const { return config_; }
  std::shared_ptr<models::MultimodalEncoder> encoder;
  std::shared_ptr<nn::MLP> head;

 private:
  FrameStackConfig config_;
};

class ForwardModel : public nn::Module {
 public:
  // `outputs`: the next frame's sensors it predicts.
  ForwardModel(const FrameStackConfig& config, const std::vector<models::SensorSpec>& outputs,
               Generator& gen = default_generator());
  // [K, B, ...] frames and [B, A] actions -> sensor -> [B, ...] predicted means.
  std::map<std::string, Tensor> forward(const Batch& frames, const Tensor& action);
  // Mean squared error against `next` (sensor -> [B, ...]), summed over sensors.
  Tensor loss(const Batch& frames, const Tensor& action, const Batch& next);
  std::shared_ptr<models::MultimodalEncoder> encoder;
  std::map<std::string, std::shared_ptr<models::Decoder>> decoders;

 private:
  FrameStackConfig config_;
  std::vector<models::SensorSpec> outputs_;
};

// A FrameStackPolicy acting in an environment: it keeps the last K observations (at the
// start of an episode the first one stands in for the missing history).
class FrameStackActor : public envs::Policy {
 public:
  FrameStackActor(FrameStackPolicy& policy, std::string name) : policy_(policy), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void reset(std::uint64_t seed) override;
  std::vector<double> act(const envs::Observation& observation) override;

 private:
  FrameStackPolicy& policy_;
  std::string name_;
  std::deque<Batch> frames_;  // each sensor [1, 1, ...]
};

}  // namespace aime::algorithms
