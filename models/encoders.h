// Observation encoders of the original (aime/models/base.py; docs/original.md §2): each maps one sensor
// [N, ...] to an embedding [N, E]; a MultimodalEncoder concatenates the embeddings of
// several sensors (the original's get_emb).
//   CNNEncoderHa ("cnn_ha"): [N, 3, 64, 64] -> Conv(3->32, k4, s2) ReLU -> Conv(32->64) ReLU ->
//     Conv(64->128) ReLU -> Conv(128->256) -> flatten = 1024 (no padding, no last activation).
//     Sizes 64 -> 31 -> 14 -> 6 -> 2 (the original resizes any frame to 64x64 first).
//     aime's own 32x32 variant (not the original's; for laptop-sized pixel runs,
//     docs/results.md "Smaller frames") reads 32x32 frames as they are and drops the first
//     layer: [N, 3, 32, 32] -> Conv(3->64) ReLU -> Conv(64->128) ReLU -> Conv(128->256),
//     32 -> 15 -> 6 -> 2, the same 1024 values.
//   IdentityEncoder ("identity"): a vector sensor passed through.
//   MLPEncoder ("mlp"): an MLP over a vector sensor.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/generator.h"
#include "autograd/tensor_dict.h"
#include "nn/mlp.h"
#include "nn/sequential.h"

namespace aime::models {

// Throws ValueError naming `where` unless image_size is one cnn_ha takes: 64 or 32.
void check_cnn_image_size(std::int64_t image_size, const std::string& where);

class CNNEncoderHa : public nn::UnaryModule {
 public:
  // image_size: 64 (the original's) or 32 (check_cnn_image_size).
  explicit CNNEncoderHa(std::int64_t channels = 3, std::int64_t width = 32, Generator& gen = default_generator(),
                        std::int64_t image_size = 64);
  Tensor forward(const Tensor& x) override;  // [N, C, S, S] -> [N, 8 width * 4]
  std::int64_t output_size() const { return 8 * width_ * 4; }
  std::shared_ptr<nn::Sequential> net;

 private:
  std::int64_t channels_, width_, image_size_;
};

class IdentityEncoder : public nn::UnaryModule {
 public:
  explicit IdentityEncoder(std::int64_t size) : UnaryModule("IdentityEncoder"), size_(size) {}
  Tensor forward(const Tensor& x) override;
  std::int64_t output_size() const { return size_; }

 private:
  std::int64_t size_;
};

// Sensors in, one embedding out: encoders by sensor name, applied in the given order. A
// group of sensors can share one encoder (their values concatenated first), as RSSMO's
// single MLP over all vector sensors.
class MultimodalEncoder : public nn::Module {
 public:
  MultimodalEncoder() : Module("MultimodalEncoder") {}
  void add(const std::string& sensor, std::shared_ptr<nn::UnaryModule> encoder, std::int64_t output_size);
  // `name` is the sub-module's name; the sensors' last dims are concatenated in order.
  void add_group(const std::string& name, const std::vector<std::string>& sensors,
                 std::shared_ptr<nn::UnaryModule> encoder, std::int64_t output_size);
  // inputs: sensor -> [N, ...] (or [T, B, ...]: leading dims are kept) -> [..., E]
  Tensor forward(const Batch& inputs) const;
  std::int64_t output_size() const { return size_; }
  const std::vector<std::string>& sensors() const { return sensors_; }

 private:
  std::vector<std::string> sensors_;
  std::vector<std::vector<std::string>> groups_;  // the sensors each encoder reads
  std::vector<std::pair<std::shared_ptr<nn::UnaryModule>, std::int64_t>> encoders_;
  std::int64_t size_ = 0;
};

}  // namespace aime::models
