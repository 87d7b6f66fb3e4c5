#include "models/encoders.h"

#include "autograd/api.h"
#include "nn/activation.h"
#include "nn/conv.h"

namespace aime::models {

CNNEncoderHa::CNNEncoderHa(std::int64_t channels, std::int64_t width, Generator& gen)
    : UnaryModule("CNNEncoderHa"), channels_(channels), width_(width) {
  net = register_module("net", std::make_shared<nn::Sequential>());
  net->push_back(std::make_shared<nn::Conv2d>(channels, width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Conv2d>(width, 2 * width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Conv2d>(2 * width, 4 * width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Conv2d>(4 * width, 8 * width, 4, 2, 0, true, gen));
}

Tensor CNNEncoderHa::forward(const Tensor& x) {
  if (x.dim() < 4 || x.size(-3) != channels_ || x.size(-2) != 64 || x.size(-1) != 64)
    throw ShapeError("CNNEncoderHa: images must be [..., " + std::to_string(channels_) + ", 64, 64], got " +
                     shape_str(x.shape()));
  Shape lead(x.shape().begin(), x.shape().end() - 3);
  const Tensor y = net->forward(x.reshape({-1, channels_, 64, 64}));
  lead.push_back(output_size());
  return y.reshape(lead);
}

Tensor IdentityEncoder::forward(const Tensor& x) {
  if (x.dim() < 1 || x.size(-1) != size_)
    throw ShapeError("IdentityEncoder: expected [..., " + std::to_string(size_) + "], got " + shape_str(x.shape()));
  return x;
}

void MultimodalEncoder::add(const std::string& sensor, std::shared_ptr<nn::UnaryModule> encoder, std::int64_t size) {
  add_group(sensor, {sensor}, std::move(encoder), size);
}

void MultimodalEncoder::add_group(const std::string& name, const std::vector<std::string>& sensors,
                                  std::shared_ptr<nn::UnaryModule> encoder, std::int64_t size) {
  if (sensors.empty()) throw ValueError("MultimodalEncoder::add_group: no sensors for " + name);
  register_module(name, encoder);
  for (const auto& s : sensors) sensors_.push_back(s);
  groups_.push_back(sensors);
  encoders_.emplace_back(std::move(encoder), size);
  size_ += size;
}

Tensor MultimodalEncoder::forward(const Batch& inputs) const {
  if (sensors_.empty()) throw ValueError("MultimodalEncoder: no sensors");
  std::vector<Tensor> parts;
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    std::vector<Tensor> values;
    for (const auto& sensor : groups_[i]) {
      values.push_back(inputs.require(sensor, "MultimodalEncoder"));
    }
    parts.push_back(encoders_[i].first->forward(values.size() == 1 ? values[0] : cat(values, -1)));
  }
  return parts.size() == 1 ? parts[0] : cat(parts, -1);
}

}  // namespace aime::models
