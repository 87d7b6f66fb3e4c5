#include "models/world_model_config.h"

#include <gtest/gtest.h>

#include "autograd/api.h"
#include "models/world_model.h"

namespace aime::models {
namespace {

std::vector<SensorSpec> walker() { return {{"image", {3, 64, 64}}, {"orientations", {14}}, {"height", {1}}, {"velocity", {9}}}; }

// The count from the sizes alone is the built model's, for the original's configurations and
// for the settings the original configures apart.
TEST(WorldModelConfig, ParameterCountIsTheBuiltModels) {
  std::vector<WorldModelConfig> configs;
  for (const char* model : {"rssm", "rssmo"})
    for (models::Setup setup : {Setup::Visual, Setup::MDP, Setup::LPOMDP}) configs.push_back(WorldModelConfig::original(model, setup, walker(), 6));
  WorldModelConfig small = WorldModelConfig::original("rssm", Setup::LPOMDP, walker(), 2);
  small.rssm.deterministic_size = 32;
  small.rssm.hidden_layers = 0;
  small.head_hidden_layers = 3;
  small.head_layer_norm = true;
  small.probe_head = WorldModelConfig::Head{24, 1, true, "silu"};
  small.idm_hidden_size = 40;
  small.idm_hidden_layers = 1;
  small.vector_encoder = WorldModelConfig::Head{20, 2, false, "elu"};
  configs.push_back(small);
  WorldModelConfig narrow = WorldModelConfig::original("rssmo", Setup::Visual, walker(), 3);
  narrow.cnn_width = 8;
  narrow.idm = false;
  configs.push_back(narrow);
  for (const char* model : {"rssm", "rssmo"}) {  // aime's 32x32 cnn_ha, one layer fewer each way
    WorldModelConfig small_images = WorldModelConfig::original(model, Setup::Visual, {{"image", {3, 32, 32}}}, 2);
    small_images.cnn_width = 8;
    configs.push_back(small_images);
  }
  for (const auto& c : configs) {
    Generator gen(0);
    const WorldModel model(c, gen);
    EXPECT_EQ(c.parameter_count(), static_cast<double>(model.num_parameters())) << c.model << " " << sensors_to_text(c.inputs);
  }
  EXPECT_EQ(configs[0].parameter_count(), 7317351.0);   // walker visual RSSM, the original's count
}

TEST(WorldModelConfig, BadFieldsAreRefusedBeforeAnythingIsAllocated) {
  auto error = [](const WorldModelConfig& c) {
    try {
      Generator gen(0);
      WorldModel model(c, gen);
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const WorldModelConfig base = WorldModelConfig::original("rssm", Setup::MDP, walker(), 6);
  WorldModelConfig c = base;
  c.rssm.hidden_layers = 1000000;
  EXPECT_NE(error(c).find("world_model.hidden_layers must be in [0, 64], got 1000000"), std::string::npos) << error(c);
  c = base;
  c.head_hidden_size = 1000000;  // in range, but 4 TB of parameters
  EXPECT_NE(error(c).find("more than this machine's"), std::string::npos) << error(c);
  c = WorldModelConfig::original("rssm", Setup::Visual, {{"image", {3, 48, 48}}}, 6);
  EXPECT_NE(error(c).find("image 'image' must be [C <= 16, 64, 64] (cnn_ha) or [C <= 16, 32, 32]"), std::string::npos)
      << error(c);
  c = base;
  c.rssm.deterministic_size = 100000000;
  EXPECT_NE(error(c).find("world_model.deterministic_size must be in [1, 1048576]"), std::string::npos) << error(c);
  c = base;
  c.inputs[0].shape = {0};
  EXPECT_NE(error(c).find("world_model.inputs sensor 'orientations' has a dimension 0"), std::string::npos) << error(c);
  c = base;
  c.kl_scale = -1;
  EXPECT_NE(error(c).find("world_model.kl_scale"), std::string::npos) << error(c);
}

}  // namespace
}  // namespace aime::models
