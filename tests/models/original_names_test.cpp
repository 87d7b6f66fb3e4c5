#include "models/original_names.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "autograd/api.h"

namespace aime::models {
namespace {

// The original's state-dict keys and shapes, from instantiating its classes
// (tests/models/fixtures/original-keys/<env>-<setup>-<model>.txt: "key<TAB>[shape]<TAB>kind").
std::map<std::string, Shape> original_keys(const std::string& file) {
  std::ifstream in(std::string(AIME_SOURCE_DIR) + "/tests/models/fixtures/original-keys/" + file);
  EXPECT_TRUE(in) << file;
  std::map<std::string, Shape> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string key, shape;
    std::getline(fields, key, '\t');
    std::getline(fields, shape, '\t');
    Shape s;
    std::istringstream dims(shape.substr(1, shape.size() - 2));
    std::string d;
    while (std::getline(dims, d, ',')) s.push_back(std::stoll(d));
    keys[key] = s;
  }
  return keys;
}

std::vector<SensorSpec> sensors_of(const std::string& env) {
  if (env == "walker") return {{"image", {3, 64, 64}}, {"orientations", {14}}, {"height", {1}}, {"velocity", {9}}};
  return {{"image", {3, 64, 64}}, {"position", {8}}, {"velocity", {9}}};
}

struct Case {
  std::string env, setup, model;
};

class OriginalNames : public ::testing::TestWithParam<Case> {};

TEST_P(OriginalNames, EveryKeyAndShapeIsTheOriginals) {
  const Case& c = GetParam();
  Generator gen(0);
  const WorldModel model(WorldModelConfig::original(c.model, parse_setup(c.setup), sensors_of(c.env), 6), gen);
  const nn::StateDict ours = to_original_state_dict(model);
  const auto expected = original_keys(c.env + "-" + c.setup + "-" + c.model + ".txt");
  std::map<std::string, Shape> got;
  for (const auto& [key, t] : ours) got[key] = t.shape();
  for (const auto& [key, shape] : expected) {
    ASSERT_TRUE(got.count(key)) << "missing " << key;
    EXPECT_EQ(got[key], shape) << key;
  }
  for (const auto& [key, shape] : got) EXPECT_TRUE(expected.count(key)) << "unexpected " << key;
}

INSTANTIATE_TEST_SUITE_P(SixModels, OriginalNames,
                         ::testing::Values(Case{"walker", "visual", "rssm"}, Case{"walker", "mdp", "rssm"},
                                           Case{"walker", "lpomdp", "rssm"}, Case{"cheetah", "visual", "rssmo"},
                                           Case{"cheetah", "mdp", "rssmo"}, Case{"cheetah", "lpomdp", "rssmo"}),
                         [](const auto& info) { return info.param.env + "_" + info.param.setup; });

TEST(OriginalNames, LoadingIsStrictAndNamesTheOriginalsKeys) {
  Generator gen(0);
  WorldModelConfig config = WorldModelConfig::original("rssm", Setup::MDP, {{"position", {3}}, {"velocity", {2}}}, 2);
  config.rssm.deterministic_size = config.rssm.hidden_size = config.head_hidden_size = 8;
  config.rssm.stochastic_size = 4;
  WorldModel a(config, gen), b(config, gen);
  nn::StateDict theirs = to_original_state_dict(a);
  load_original_state_dict(b, theirs, "model.pt");
  for (const auto& [key, t] : a.state_dict()) EXPECT_EQ(t.to_vector<float>(), b.state_dict().at(key).to_vector<float>()) << key;

  auto error = [&](const nn::StateDict& sd) {
    try {
      load_original_state_dict(b, sd, "model.pt");
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nn::StateDict missing = theirs;
  missing.erase("memory_cell.bias_hh");
  EXPECT_NE(error(missing).find("missing keys: memory_cell.bias_hh"), std::string::npos) << error(missing);
  nn::StateDict extra = theirs;
  extra.set("decoders.reward.mu_net.net.0.weight", zeros({8, 12}));
  EXPECT_NE(error(extra).find("unexpected keys: decoders.reward.mu_net.net.0.weight"), std::string::npos);
  nn::StateDict wrong = theirs;
  wrong.set("initial_memory", zeros({1, 9}));
  EXPECT_NE(error(wrong).find("initial_memory: expected shape [1, 8] (from the config), found [1, 9]"), std::string::npos)
      << error(wrong);
  EXPECT_NE(error(wrong).find("model.pt"), std::string::npos);
}

TEST(OriginalNames, PolicyKeys) {
  Generator gen(0);
  TanhGaussianPolicy policy(10, 3, 128, 2, gen);
  std::vector<std::string> keys = to_original_state_dict(policy).keys();
  EXPECT_EQ(keys.front(), "mean_net.net.0.weight");
  EXPECT_EQ(keys.back(), "std_net.net.4.bias");
  EXPECT_EQ(keys.size(), 12u);
}

}  // namespace
}  // namespace aime::models
