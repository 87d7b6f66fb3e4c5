// What a world model reads and writes, without the model: the sensors of a dataset
// (SensorSpec), the batch they come in (Batch, autograd/tensor_dict.h), and the original's
// environment setups, which say which sensors a model encodes, reconstructs or only probes
// (the original's configs/env/*.yaml, docs/original.md "Setups"). The baselines and the
// evaluation share these with the world model and need nothing else of it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/shape.h"
#include "autograd/tensor_dict.h"

namespace aime::models {

struct SensorSpec {
  std::string name;
  Shape shape;  // per step after preprocessing: [3, 64, 64] for an image, [D] for a vector
  bool is_image() const { return shape.size() == 3; }
  std::int64_t size() const { return numel_of(shape); }
};

// Sensor lists as text, "image:3x64x64,velocity:1" (checkpoint metadata); `key` names the
// field in errors.
std::string sensors_to_text(const std::vector<SensorSpec>& sensors);
std::vector<SensorSpec> sensors_from_text(const std::string& text, const std::string& key);

// The original's environment setups: visual (the image in and out, the vectors probed),
// lpomdp (first-order vectors in and out, "velocity" probed), mdp (every vector in and out).
enum class Setup { Visual, LPOMDP, MDP };
Setup parse_setup(const std::string& name);  // "visual", "lpomdp", "mdp"
std::string setup_name(Setup setup);

// The roles of a dataset's sensors in a setup. "velocity" is the second-order sensor; the
// vectors keep the dataset's order with it last. ValueError when the setup finds nothing to
// encode.
struct SensorRoles {
  std::vector<SensorSpec> inputs;   // encoded
  std::vector<SensorSpec> outputs;  // reconstructed
  std::vector<SensorSpec> probes;   // predicted from detached features, a diagnostic only
};
SensorRoles sensor_roles(Setup setup, const std::vector<SensorSpec>& sensors);

}  // namespace aime::models
