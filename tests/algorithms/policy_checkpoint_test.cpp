#include "algorithms/policy_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>

#include <filesystem>

#include "algorithms/policy_actor.h"
#include "autograd/api.h"
#include "nn/serialize/safetensors.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("aime_policy_ckpt_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir.string();
}

envs::Observation obs(double x) {
  envs::Observation o;
  o.sensors = {{"orientation", {std::cos(x), std::sin(x)}}, {"velocity", {x}}};
  return o;
}

std::vector<double> actions(envs::Policy& p) {
  p.reset(3);
  std::vector<double> out;
  for (double x : {0.1, 0.5, -0.4, 0.2}) out.push_back(p.act(obs(x)).at(0));
  return out;
}

TEST(PolicyCheckpoint, AnAimePolicyFolderActsLikeTheOriginal) {
  Generator gen(0);
  auto c = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"orientation", {2}}, {"velocity", {1}}}, 1);
  c.rssm.deterministic_size = 8;
  c.rssm.stochastic_size = 4;
  c.rssm.hidden_size = 8;
  c.head_hidden_size = 8;
  models::WorldModel model(c, gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 1, 16, 1, gen);
  const std::string dir = temp_dir("aime");
  save_aime_policy(dir, model, policy, {{"train.seed", "5"}});
  LoadedPolicy loaded = load_policy(dir);
  EXPECT_EQ(loaded.algo, "aime");
  EXPECT_EQ(loaded.metadata.at("train.seed"), "5");
  PolicyActor original(model, policy);
  EXPECT_EQ(actions(*loaded.actor), actions(original));
  // A policy trained on the posterior's mean (aime imitate --policy-input mean) acts on it
  // when loaded; a value other than sample or mean names the file and the key.
  save_aime_policy(dir, model, policy, {{"policy.input", "mean"}});
  PolicyActor reading_mean(model, policy, "aime", true);
  EXPECT_EQ(actions(*load_policy(dir).actor), actions(reading_mean));
  EXPECT_NE(actions(reading_mean), actions(original));
  save_aime_policy(dir, model, policy, {{"policy.input", "mode"}});
  try {
    load_policy(dir);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("policy.safetensors: metadata 'policy.input' must be sample or mean, found 'mode'"),
              std::string::npos)
        << e.what();
  }
}

TEST(PolicyCheckpoint, AFrameStackPolicyFolderActsLikeTheOriginal) {
  Generator gen(1);
  FrameStackConfig c;
  c.inputs = {{"orientation", {2}}, {"velocity", {1}}};
  c.stack = 2;
  c.action_size = 1;
  c.hidden_size = 8;
  FrameStackPolicy policy(c, gen);
  const std::string dir = temp_dir("bco");
  save_frame_stack_policy(dir, policy, "bco");
  LoadedPolicy loaded = load_policy(dir);
  EXPECT_EQ(loaded.algo, "bco");
  EXPECT_EQ(loaded.actor->name(), "bco");
  FrameStackActor original(policy, "bco");
  EXPECT_EQ(actions(*loaded.actor), actions(original));
}

TEST(PolicyCheckpoint, BadFoldersGiveClearErrors) {
  EXPECT_THROW(load_policy(temp_dir("missing")), Error);
  const std::string dir = temp_dir("odd");
  fs::create_directories(dir);
  nn::save_safetensors(dir + "/policy.safetensors", {}, {{"policy.algo", "ppo"}});
  try {
    load_policy(dir);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown policy.algo 'ppo'"), std::string::npos) << e.what();
  }
  // An agent's policy (dreamer) without its world model's config: the file and the key.
  nn::save_safetensors(dir + "/policy.safetensors", {}, {{"policy.algo", "dreamer"}});
  try {
    load_policy(dir);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("policy.safetensors: world model config: missing key"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aime::algorithms
