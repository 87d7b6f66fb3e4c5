// Observation decoders of the original (docs/original.md §2): features [N, F] ->
// a Normal over one sensor. Leading dims are kept ([T, B, F] -> [T, B, ...]).
//   CNNDecoderHa ("cnn_ha"): Linear(F -> 1024) -> [1024, 1, 1] -> ConvT(1024->128, k5, s2) ReLU ->
//     ConvT(128->64, k5, s2) ReLU -> ConvT(64->32, k6, s2) ReLU -> ConvT(32->3, k6, s2) ->
//     sigmoid: the mean of Normal(mean, 1) over pixels in [0, 1] (1 -> 5 -> 13 -> 30 -> 64).
//     aime's 32x32 variant (not the original's) drops the ConvT(64->32) layer and gives the
//     next one kernel 6: ConvT(1024->128, k5) ReLU -> ConvT(128->64, k6) ReLU ->
//     ConvT(64->3, k6) (1 -> 5 -> 14 -> 32).
//   MLPDeterministicDecoder ("dmlp"): MLP mean, std 1.
//   MLPStochasticDecoder ("smlp"): a mean MLP and a std MLP (softplus output) + min_std.
#pragma once
#include <memory>

#include "autograd/generator.h"
#include "distributions/normal.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/sequential.h"

namespace aime::models {

class Decoder : public nn::Module {
 public:
  using Module::Module;
  virtual std::shared_ptr<distributions::Normal> forward(const Tensor& feature) = 0;
  // The std alone, without the mean: what dim_wise reweighting needs when nothing is
  // reconstructed (AIME's kl_only). Undefined for decoders whose std is the constant 1
  // (cnn_ha, dmlp), which need no network run at all.
  virtual Tensor stddev(const Tensor& /*feature*/) { return Tensor(); }
};

class CNNDecoderHa : public Decoder {
 public:
  explicit CNNDecoderHa(std::int64_t feature_size, std::int64_t channels = 3, std::int64_t width = 32,
                        Generator& gen = default_generator(), std::int64_t image_size = 64);
  std::shared_ptr<distributions::Normal> forward(const Tensor& feature) override;
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<nn::Sequential> net;

 private:
  std::int64_t feature_size_;
};

class MLPDeterministicDecoder : public Decoder {
 public:
  MLPDeterministicDecoder(std::int64_t feature_size, std::int64_t output_size, std::int64_t hidden_size,
                          std::int64_t hidden_layers, bool layer_norm = false, const std::string& activation = "elu",
                          Generator& gen = default_generator());
  std::shared_ptr<distributions::Normal> forward(const Tensor& feature) override;
  std::shared_ptr<nn::MLP> net;
};

class MLPStochasticDecoder : public Decoder {
 public:
  MLPStochasticDecoder(std::int64_t feature_size, std::int64_t output_size, std::int64_t hidden_size,
                       std::int64_t hidden_layers, double min_std = 1e-6, bool layer_norm = false,
                       const std::string& activation = "elu", Generator& gen = default_generator());
  std::shared_ptr<distributions::Normal> forward(const Tensor& feature) override;
  Tensor stddev(const Tensor& feature) override;  // softplus(std_net(f)) + min_std
  std::shared_ptr<nn::MLP> mean_net, std_net;
  const double min_std;
};

}  // namespace aime::models
