#include "models/encoders.h"

#include "autograd/api.h"
#include "nn/activation.h"
#include "nn/conv.h"

namespace aime::models {

void check_cnn_image_size(std::int64_t image_size, const std::string& where) {
  if (image_size != 64 && image_size != 32)
    throw ValueError(where + ": cnn_ha takes images of 64x64 (the original's) or 32x32, got " + std::to_string(image_size) +
                     "x" + std::to_string(image_size));
}

CNNEncoderHa::CNNEncoderHa(std::int64_t channels, std::int64_t width, Generator& gen, std::int64_t image_size)
    : UnaryModule("CNNEncoderHa"), channels_(channels), width_(width), image_size_(image_size) {
  check_cnn_image_size(image_size, "CNNEncoderHa");
  net = register_module("net", std::make_shared<nn::Sequential>());
  if (image_size == 64) {
    net->push_back(std::make_shared<nn::Conv2d>(channels, width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::Conv2d>(width, 2 * width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
  } else {
    net->push_back(std::make_shared<nn::Conv2d>(channels, 2 * width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
  }
  net->push_back(std::make_shared<nn::Conv2d>(2 * width, 4 * width, 4, 2, 0, true, gen)).push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Conv2d>(4 * width, 8 * width, 4, 2, 0, true, gen));
}

Tensor CNNEncoderHa::forward(const Tensor& x) {
  const std::int64_t S = image_size_;
  if (x.dim() < 4 || x.size(-3) != channels_ || x.size(-2) != S || x.size(-1) != S)
    throw ShapeError("CNNEncoderHa: images must be [..., " + std::to_string(channels_) + ", " + std::to_string(S) + ", " +
                     std::to_string(S) + "], got " + shape_str(x.shape()));
  Shape lead(x.shape().begin(), x.shape().end() - 3);
  const Tensor y = net->forward(x.reshape({-1, channels_, S, S}));
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
