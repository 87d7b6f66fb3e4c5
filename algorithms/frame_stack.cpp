#include "algorithms/frame_stack.h"

#include "algorithms/evaluation.h"
#include "autograd/api.h"

namespace aime::algorithms {

nn::Metadata FrameStackConfig::to_metadata(const std::string& p) const {
  return {{p + ".inputs", models::sensors_to_text(inputs)},
          {p + ".stack", std::to_string(stack)},
          {p + ".action_size", std::to_string(action_size)},
          {p + ".hidden_size", std::to_string(hidden_size)},
          {p + ".hidden_layers", std::to_string(hidden_layers)},
          {p + ".cnn_width", std::to_string(cnn_width)}};
}

FrameStackConfig FrameStackConfig::from_metadata(const nn::Metadata& m, const std::string& p) {
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = m.find(p + "." + key);
    if (it == m.end()) throw ValueError("frame-stack config: missing key " + p + "." + key);
    return it->second;
  };
  auto integer = [&](const std::string& key) {
    const std::string& v = get(key);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || std::stoll(v) < 1)
      throw ValueError("frame-stack config: " + p + "." + key + " must be a positive integer, got '" + v + "'");
    return static_cast<std::int64_t>(std::stoll(v));
  };
  FrameStackConfig c;
  c.inputs = models::sensors_from_text(get("inputs"), p + ".inputs");
  if (c.inputs.empty()) throw ValueError("frame-stack config: " + p + ".inputs is empty");
  c.stack = integer("stack");
  c.action_size = integer("action_size");
  c.hidden_size = integer("hidden_size");
  c.hidden_layers = integer("hidden_layers");
  c.cnn_width = integer("cnn_width");
  return c;
}

std::shared_ptr<models::MultimodalEncoder> make_frame_encoder(const FrameStackConfig& c, Generator& gen) {
  auto encoder = std::make_shared<models::MultimodalEncoder>();
  for (const auto& s : c.inputs) {
    if (s.is_image()) {
      auto cnn = std::make_shared<models::CNNEncoderHa>(s.shape[0], c.cnn_width, gen, s.shape[1]);
      encoder->add(s.name, cnn, cnn->output_size());
    } else {
      encoder->add(s.name, std::make_shared<models::IdentityEncoder>(s.size()), s.size());
    }
  }
  return encoder;
}

Tensor embed_stack(const models::MultimodalEncoder& encoder, const Batch& frames) {
  const Tensor e = encoder.forward(frames);  // [K, B, E]
  const std::int64_t K = e.size(0), B = e.size(1), E = e.size(2);
  return e.permute({1, 0, 2}).reshape({B, K * E});
}

FrameStackPolicy::FrameStackPolicy(const FrameStackConfig& c, Generator& gen) : Module("FrameStackPolicy"), config_(c) {
  if (c.inputs.empty() || c.stack < 1 || c.action_size < 1)
    throw ValueError("FrameStackPolicy: needs input sensors, stack >= 1 and action_size >= 1");
  encoder = register_module("encoder", make_frame_encoder(c, gen));
  head = register_module("head", std::make_shared<nn::MLP>(nn::mlp_options(c.stack * encoder->output_size(), c.action_size,
                                                                           c.hidden_size, c.hidden_layers, false, "elu",
                                                                           "tanh", true),
                                                           gen));
}

Tensor FrameStackPolicy::forward(const Batch& frames) { return head->forward(embed_stack(*encoder, frames)); }

ForwardModel::ForwardModel(const FrameStackConfig& c, const std::vector<models::SensorSpec>& outputs, Generator& gen)
    : Module("ForwardModel"), config_(c), outputs_(outputs) {
  if (c.inputs.empty() || outputs.empty() || c.stack < 1 || c.action_size < 1)
    throw ValueError("ForwardModel: needs input and output sensors, stack >= 1 and action_size >= 1");
  encoder = register_module("encoder", make_frame_encoder(c, gen));
  const std::int64_t f = c.stack * encoder->output_size() + c.action_size;
  auto heads = std::make_shared<nn::Module>("Decoders");
  for (const auto& s : outputs) {
    std::shared_ptr<models::Decoder> d;
    if (s.is_image())
      d = std::make_shared<models::CNNDecoderHa>(f, s.shape[0], c.cnn_width, gen, s.shape[1]);
    else
      d = std::make_shared<models::MLPDeterministicDecoder>(f, s.size(), c.hidden_size, c.hidden_layers, false, "elu", gen);
    decoders[s.name] = heads->register_module(s.name, d);
  }
  register_module("decoders", heads);
}

std::map<std::string, Tensor> ForwardModel::forward(const Batch& frames, const Tensor& action) {
  const Tensor feature = cat({embed_stack(*encoder, frames), action}, -1);
  std::map<std::string, Tensor> out;
  for (const auto& [name, d] : decoders) out[name] = d->forward(feature)->mean();
  return out;
}

Tensor ForwardModel::loss(const Batch& frames, const Tensor& action, const Batch& next) {
  Tensor total;
  for (const auto& [name, prediction] : forward(frames, action)) {
    const Tensor l = mean(square(prediction - next.require(name, "ForwardModel (target)")));
    total = total.defined() ? total + l : l;
  }
  return total;
}

void FrameStackActor::reset(std::uint64_t seed) {
  Policy::reset(seed);
  frames_.clear();
}

std::vector<double> FrameStackActor::act(const envs::Observation& observation) {
  NoGradGuard no_grad;
  const std::int64_t K = policy_.config().stack;
  frames_.push_back(observation_batch(observation, policy_.config().inputs));
  while (static_cast<std::int64_t>(frames_.size()) > K) frames_.pop_front();
  Batch stacked;
  for (const auto& s : policy_.config().inputs) {
    std::vector<Tensor> parts;
    for (std::int64_t k = static_cast<std::int64_t>(frames_.size()); k < K; ++k) parts.push_back(frames_.front().at(s.name));
    for (const auto& f : frames_) parts.push_back(f.at(s.name));
    stacked.set(s.name, cat(parts, 0));  // [K, 1, ...]
  }
  const Tensor a = policy_.forward(stacked).to(kFloat64).contiguous();
  return std::vector<double>(a.data<double>(), a.data<double>() + a.numel());
}

}  // namespace aime::algorithms
