#include "models/original_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "autograd/api.h"
#include "models/original_names.h"

namespace aime::models {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(AIME_SOURCE_DIR) + "/tests/models/fixtures/original-configs/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<SensorSpec> walker() { return {{"image", {3, 64, 64}}, {"orientations", {14}}, {"height", {1}}, {"velocity", {9}}}; }
std::vector<SensorSpec> cheetah() { return {{"image", {3, 64, 64}}, {"position", {8}}, {"velocity", {9}}}; }

// The state dict of the original's model for a config, in its names (from ours).
nn::StateDict original_state_dict(const WorldModelConfig& c) {
  Generator gen(0);
  return to_original_state_dict(WorldModel(c, gen));
}

void expect_same_model(const WorldModelConfig& a, const WorldModelConfig& b) {
  EXPECT_EQ(a.to_metadata().at("world_model.inputs"), b.to_metadata().at("world_model.inputs"));
  EXPECT_EQ(a.to_metadata().at("world_model.outputs"), b.to_metadata().at("world_model.outputs"));
  EXPECT_EQ(a.to_metadata().at("world_model.probes"), b.to_metadata().at("world_model.probes"));
  for (const char* key : {"world_model.model", "world_model.action_size", "world_model.deterministic_size",
                          "world_model.stochastic_size", "world_model.hidden_size", "world_model.min_std",
                          "world_model.nll_reweight", "world_model.free_nats", "world_model.kl_rebalance",
                          "world_model.kl_scale", "world_model.idm", "world_model.stochastic_vector_decoder"})
    EXPECT_EQ(a.to_metadata().at(key), b.to_metadata().at(key)) << key;
  // The same architecture: every key and shape.
  Generator gen(0);
  const nn::StateDict sa = WorldModel(a, gen).state_dict(), sb = WorldModel(b, gen).state_dict();
  ASSERT_EQ(sa.keys(), sb.keys());
  for (const auto& [k, t] : sa) EXPECT_EQ(t.shape(), sb.at(k).shape()) << k;
}

TEST(OriginalConfig, TheReleasedConfigsMapOntoTheOriginalsModels) {
  if (!have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  struct Case {
    const char* file;
    const char* model;
    std::vector<SensorSpec> sensors;
  };
  for (const Case& c : {Case{"walker-visual-rssm.config.yaml", "rssm", walker()},
                        Case{"cheetah-visual-rssmo.config.yaml", "rssmo", cheetah()}}) {
    const WorldModelConfig expected = WorldModelConfig::original(c.model, Setup::Visual, c.sensors, 6);
    const OriginalConfig got = parse_original_config(fixture(c.file), c.file, original_state_dict(expected));
    expect_same_model(got.world_model, expected);
    EXPECT_EQ(got.run.env(), std::string(c.model) == "rssm" ? "walker-walk" : "cheetah-run");
    EXPECT_EQ(got.run.action_repeat, 2);
    EXPECT_EQ(got.run.setup, Setup::Visual);
    // The other setups of the same file, by changing environment_setup alone.
    for (models::Setup setup : {Setup::MDP, Setup::LPOMDP}) {
      std::string yaml = fixture(c.file);
      yaml.replace(yaml.find("environment_setup: visual"), 25, "environment_setup: " + setup_name(setup));
      const WorldModelConfig e = WorldModelConfig::original(c.model, setup, c.sensors, 6);
      expect_same_model(parse_original_config(yaml, c.file, original_state_dict(e)).world_model, e);
    }
  }
}

TEST(OriginalConfig, WrittenConfigsReadBack) {
  if (!have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  for (const char* model : {"rssm", "rssmo"})
    for (models::Setup setup : {Setup::Visual, Setup::MDP, Setup::LPOMDP}) {
      const WorldModelConfig c = WorldModelConfig::original(model, setup, walker(), 6);
      OriginalRun run;
      run.embodiment = "walker";
      run.task = "run";
      run.setup = setup;
      const std::string yaml = original_config_yaml(c, run);
      const OriginalConfig back = parse_original_config(yaml, "config.yaml", original_state_dict(c));
      expect_same_model(back.world_model, c);
      EXPECT_EQ(back.run.env(), "walker-run");
    }
}

// aime's 32x32 cnn_ha is not the original's: its config.yaml is refused, naming the sensor.
TEST(OriginalConfig, ThirtyTwoPixelFramesHaveNoOriginalConfig) {
  if (!have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  const WorldModelConfig c = WorldModelConfig::original("rssm", Setup::Visual, {{"image", {3, 32, 32}}}, 6);
  try {
    original_config_yaml(c, OriginalRun{});
    FAIL() << "a 32x32 model was written as the original's";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("reads 64x64 images; this model's 'image' is 32x32"), std::string::npos)
        << e.what();
  }
}

TEST(OriginalConfig, WhatAimeDoesNotDoIsRefusedByKeyAndValue) {
  if (!have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  const WorldModelConfig c = WorldModelConfig::original("rssm", Setup::MDP, walker(), 6);
  const nn::StateDict sd = original_state_dict(c);
  std::string base = fixture("walker-visual-rssm.config.yaml");
  base.replace(base.find("environment_setup: visual"), 25, "environment_setup: mdp");
  auto error = [&](const std::string& from, const std::string& to) {
    std::string yaml = base;
    const auto at = yaml.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
    try {
      parse_original_config(yaml, "config.yaml", sd);
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  auto expect = [](const std::string& msg, const std::string& part) {
    if (part != "(no error)") {
      EXPECT_NE(msg.find("config.yaml: "), std::string::npos) << msg;
    }
    EXPECT_NE(msg.find(part), std::string::npos) << "expected '" << part << "' in: " << msg;
  };
  expect(error("nll_reweight: dim_wise", "nll_reweight: modility_wise"), "world_model.nll_reweight: 'modility_wise' is not supported");
  expect(error("idm_mode: detach", "idm_mode: end2end"), "world_model.idm_mode: 'end2end' is not supported");
  expect(error("name: smlp", "name: ssmlp"), "world_model.decoders.tabular.name: 'ssmlp' is not supported");
  expect(error("  hidden_layers: 2\nenv:", "  hidden_layers: 2\n  norm: bn\nenv:"), "world_model.norm: 'bn'");
  expect(error("  kl_scale: 1.0\n", ""), "(no error)");  // optional, as in the original's SSM
  expect(error("  state_dim:\n  - 512\n  - 128\n", ""), "world_model.state_dim: missing key");
  expect(error("  kl_scale: 1.0\n", "  kl_scale: 1.0\n  kl_balance: 0.8\n"), "world_model.kl_balance: unknown key");
  expect(error("      modility: tabular\n      order: first\n    height:",
               "      modility: tabular\n      ordre: first\n    height:"), "env.sensors.orientations.ordre: unknown key");
  expect(error("environment_setup: mdp", "environment_setup: full"), "environment_setup: 'full'");
  expect(error("  hidden_size: 128\n  hidden_layers: 2\nenv:", "  hidden_size: lots\n  hidden_layers: 2\nenv:"),
         "world_model.hidden_size: expected an integer, got 'lots'");
  expect(error("  hidden_size: 128\n  hidden_layers: 2\nenv:", "  hidden_size: 100000000\n  hidden_layers: 2\nenv:"),
         "world_model.hidden_size: expected an integer in [1, 1048576]");
  expect(error("seed: 42", "seed: [42"), "not valid YAML");
  // Sizes the state dict does not have.
  nn::StateDict partial = sd;
  partial.erase("memory_cell.weight_ih");
  try {
    parse_original_config(base, "config.yaml", partial);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("memory_cell.weight_ih"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aime::models
