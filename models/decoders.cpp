#include "models/decoders.h"

#include "autograd/api.h"
#include "distributions/std_param.h"
#include "models/encoders.h"
#include "nn/activation.h"
#include "nn/conv.h"

namespace aime::models {

CNNDecoderHa::CNNDecoderHa(std::int64_t feature_size, std::int64_t channels, std::int64_t width, Generator& gen,
                           std::int64_t image_size)
    : Decoder("CNNDecoderHa"), feature_size_(feature_size) {
  check_cnn_image_size(image_size, "CNNDecoderHa");
  fc = register_module("fc", std::make_shared<nn::Linear>(feature_size, 32 * width, true, gen));
  net = register_module("net", std::make_shared<nn::Sequential>());
  net->push_back(std::make_shared<nn::ConvTranspose2d>(32 * width, 4 * width, 5, 2, 0, 0, true, gen))
      .push_back(std::make_shared<nn::ReLU>());
  if (image_size == 64) {
    net->push_back(std::make_shared<nn::ConvTranspose2d>(4 * width, 2 * width, 5, 2, 0, 0, true, gen))
        .push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::ConvTranspose2d>(2 * width, width, 6, 2, 0, 0, true, gen))
        .push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::ConvTranspose2d>(width, channels, 6, 2, 0, 0, true, gen));
  } else {
    net->push_back(std::make_shared<nn::ConvTranspose2d>(4 * width, 2 * width, 6, 2, 0, 0, true, gen))
        .push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::ConvTranspose2d>(2 * width, channels, 6, 2, 0, 0, true, gen));
  }
}

std::shared_ptr<distributions::Normal> CNNDecoderHa::forward(const Tensor& feature) {
  if (feature.dim() < 1 || feature.size(-1) != feature_size_)
    throw ShapeError("CNNDecoderHa: features must be [..., " + std::to_string(feature_size_) + "], got " +
                     shape_str(feature.shape()));
  const Shape lead(feature.shape().begin(), feature.shape().end() - 1);
  const Tensor x = fc->forward(feature.reshape({-1, feature_size_}));
  Tensor mean = sigmoid(net->forward(x.reshape({x.size(0), x.size(1), 1, 1})));
  Shape out = lead;
  out.insert(out.end(), mean.shape().begin() + 1, mean.shape().end());
  mean = mean.reshape(out);
  return std::make_shared<distributions::Normal>(mean, ones({1}, mean.dtype(), mean.device()));
}

MLPDeterministicDecoder::MLPDeterministicDecoder(std::int64_t f, std::int64_t out, std::int64_t hidden,
                                                 std::int64_t layers, bool ln, const std::string& act, Generator& gen)
    : Decoder("MLPDeterministicDecoder") {
  net = register_module("net", std::make_shared<nn::MLP>(nn::mlp_options(f, out, hidden, layers, ln, act), gen));
}

std::shared_ptr<distributions::Normal> MLPDeterministicDecoder::forward(const Tensor& feature) {
  const Tensor mean = net->forward(feature);
  return std::make_shared<distributions::Normal>(mean, ones({1}, mean.dtype(), mean.device()));
}

MLPStochasticDecoder::MLPStochasticDecoder(std::int64_t f, std::int64_t out, std::int64_t hidden, std::int64_t layers,
                                           double min_std_, bool ln, const std::string& act, Generator& gen)
    : Decoder("MLPStochasticDecoder"), min_std(min_std_) {
  mean_net = register_module("mean_net", std::make_shared<nn::MLP>(nn::mlp_options(f, out, hidden, layers, ln, act), gen));
  std_net = register_module("std_net", std::make_shared<nn::MLP>(nn::mlp_options(f, out, hidden, layers, ln, act), gen));
}

std::shared_ptr<distributions::Normal> MLPStochasticDecoder::forward(const Tensor& feature) {
  return std::make_shared<distributions::Normal>(mean_net->forward(feature), stddev(feature));
}

Tensor MLPStochasticDecoder::stddev(const Tensor& feature) {
  return distributions::softplus_std(std_net->forward(feature), min_std);
}

}  // namespace aime::models
