// The workload train_step and aime_step share: the original's sensors for a model (RSSM:
// the walker's orientations 14, height 1, velocity 9; RSSMO: the cheetah's position 8,
// velocity 9; visual adds a 64x64x3 image first) and a fixed synthetic batch, time-major
// [T, B, ...], in the data's ranges (images uniform in [0, 1], vectors normal, actions
// uniform in [-1, 1]), drawn in that order from `gen`.
#pragma once
#include <string>
#include <vector>

#include "autograd/api.h"
#include "models/sensors.h"

namespace aime::benchmarks {

inline std::vector<models::SensorSpec> original_sensors(const std::string& model, const std::string& setup) {
  std::vector<models::SensorSpec> sensors;
  if (setup == "visual") sensors.push_back({"image", {3, 64, 64}});
  if (model == "rssm") {
    sensors.push_back({"orientations", {14}});
    sensors.push_back({"height", {1}});
  } else {
    sensors.push_back({"position", {8}});
  }
  sensors.push_back({"velocity", {9}});
  return sensors;
}

inline Batch synthetic_batch(const std::vector<models::SensorSpec>& sensors, std::int64_t horizon, std::int64_t batch,
                             std::int64_t action_size, DType dtype, Device device, Generator& gen) {
  Batch data;
  for (const auto& s : sensors) {
    Shape shape{horizon, batch};
    shape.insert(shape.end(), s.shape.begin(), s.shape.end());
    data.set(s.name, (s.is_image() ? rand(shape, gen, dtype) : randn(shape, gen, dtype)).to(device));
  }
  data.set("pre_action", (rand({horizon, batch, action_size}, gen, dtype) * 2.0 - 1.0).to(device));
  return data;
}

}  // namespace aime::benchmarks
