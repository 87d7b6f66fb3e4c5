#include "models/sensors.h"

#include <sstream>

#include "autograd/error.h"

namespace aime::models {

Setup parse_setup(const std::string& name) {
  if (name == "visual") return Setup::Visual;
  if (name == "lpomdp") return Setup::LPOMDP;
  if (name == "mdp") return Setup::MDP;
  throw ValueError("setup: expected visual, lpomdp or mdp, got '" + name + "'");
}

std::string setup_name(Setup setup) {
  switch (setup) {
    case Setup::Visual: return "visual";
    case Setup::LPOMDP: return "lpomdp";
    case Setup::MDP: return "mdp";
  }
  return "?";
}

SensorRoles sensor_roles(Setup setup, const std::vector<SensorSpec>& sensors) {
  std::vector<SensorSpec> images, first, second;
  for (const auto& s : sensors) {
    if (s.is_image()) images.push_back(s);
    else if (s.name == "velocity") second.push_back(s);
    else first.push_back(s);
  }
  std::vector<SensorSpec> vectors = first;
  vectors.insert(vectors.end(), second.begin(), second.end());
  SensorRoles roles;
  switch (setup) {
    case Setup::Visual:
      if (images.empty()) throw ValueError("world model: the visual setup needs an image sensor");
      roles.inputs = roles.outputs = images;
      roles.probes = vectors;
      break;
    case Setup::LPOMDP:
      if (first.empty()) throw ValueError("world model: the lpomdp setup needs a first-order vector sensor");
      roles.inputs = roles.outputs = first;
      roles.probes = second;
      break;
    case Setup::MDP:
      if (vectors.empty()) throw ValueError("world model: the mdp setup needs vector sensors");
      roles.inputs = roles.outputs = vectors;
      break;
  }
  return roles;
}

// "image:3x64x64,velocity:1"
std::string sensors_to_text(const std::vector<SensorSpec>& sensors) {
  std::string out;
  for (const auto& s : sensors) {
    out += (out.empty() ? "" : ",") + s.name + ":";
    for (std::size_t i = 0; i < s.shape.size(); ++i) out += (i ? "x" : "") + std::to_string(s.shape[i]);
  }
  return out;
}

std::vector<SensorSpec> sensors_from_text(const std::string& text, const std::string& key) {
  std::vector<SensorSpec> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0) throw ValueError(key + ": bad sensor '" + item + "'");
    SensorSpec spec{item.substr(0, colon), {}};
    std::stringstream dims(item.substr(colon + 1));
    std::string d;
    while (std::getline(dims, d, 'x')) {
      if (d.empty() || d.size() > 9 || d.find_first_not_of("0123456789") != std::string::npos)
        throw ValueError(key + ": bad shape in sensor '" + item + "'");
      spec.shape.push_back(std::stoll(d));
    }
    out.push_back(spec);
  }
  return out;
}

}  // namespace aime::models
