// The original's released folders (model.pt + config.yaml), used as they are: for walker RSSM
// and cheetah RSSMO in the visual, mdp and lpomdp setups, a model written by aime is loaded
// by PyTorch (strict: every key and shape of the original's model, from
// tests/models/fixtures/original-keys/), saved again by PyTorch's own writer (torch 1.13's
// layout: stem = file name, data descriptors), and that file, beside the config.yaml,
// loads in aime as a model folder with the same weights, bit for bit, and the same ELBO as
// the safetensors folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "algorithms/checkpoint.h"
#include "algorithms/policy_checkpoint.h"
#include "autograd/api.h"
#include "models/original_names.h"

namespace aime::algorithms {
namespace {

namespace fs = std::filesystem;

std::string python_with_torch() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    const std::string cmd = std::string(candidate) + " -c 'import torch, yaml' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return candidate;
  }
  return "";
}

struct Case {
  std::string env, setup, model;
  std::string name() const { return env + "-" + setup + "-" + model; }
};

std::vector<models::SensorSpec> sensors_of(const std::string& env) {
  if (env == "walker") return {{"image", {3, 64, 64}}, {"orientations", {14}}, {"height", {1}}, {"velocity", {9}}};
  return {{"image", {3, 64, 64}}, {"position", {8}}, {"velocity", {9}}};
}

Batch batch_for(const models::WorldModelConfig& c, Generator& gen) {
  const std::int64_t T = 3, B = 2;
  Batch batch;
  for (const auto* list : {&c.inputs, &c.probes})
    for (const auto& s : *list) {
      Shape shape{T, B};
      shape.insert(shape.end(), s.shape.begin(), s.shape.end());
      if (!batch.find(s.name)) batch.set(s.name, s.is_image() ? rand(shape, gen) : randn(shape, gen));
    }
  batch.set("pre_action", rand({T, B, c.action_size}, gen) * 2.0 - 1.0);
  return batch;
}

void expect_bit_identical(const nn::StateDict& a, const nn::StateDict& b) {
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& [k, t] : a) {
    const Tensor u = b.at(k).contiguous(), v = t.contiguous();
    ASSERT_EQ(u.shape(), v.shape()) << k;
    EXPECT_EQ(std::memcmp(u.data_ptr(), v.data_ptr(), static_cast<std::size_t>(v.numel()) * 4), 0) << k;
  }
}

TEST(OriginalFolder, SixReleasedLayoutsLoadAsTheyAre) {
  if (!models::have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  const std::string python = python_with_torch();
  if (python.empty()) GTEST_SKIP() << "no python3 with torch and yaml (python3-torch, python3-yaml)";
  const fs::path root = fs::temp_directory_path() / ("aime_original_folder_" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::vector<Case> cases = {{"walker", "visual", "rssm"},  {"walker", "mdp", "rssm"},  {"walker", "lpomdp", "rssm"},
                                   {"cheetah", "visual", "rssmo"}, {"cheetah", "mdp", "rssmo"}, {"cheetah", "lpomdp", "rssmo"}};
  std::vector<std::unique_ptr<models::WorldModel>> models_;
  for (const Case& c : cases) {
    Generator gen(7);
    const auto config = models::WorldModelConfig::original(c.model, models::parse_setup(c.setup), sensors_of(c.env), 6);
    models_.push_back(std::make_unique<models::WorldModel>(config, gen));
    models::OriginalRun run;
    run.embodiment = c.env;
    run.task = c.env == "walker" ? "walk" : "run";
    run.setup = config.inputs[0].is_image() ? models::Setup::Visual : models::parse_setup(c.setup);
    save_model_checkpoint((root / c.name() / "aime").string(), *models_.back(), nullptr, {});
    save_original_model((root / c.name() / "ours").string(), *models_.back(), run);
  }
  // PyTorch: strict keys and shapes against the original's lists, then its own writer.
  const std::string script = R"PY(
import collections, os, shutil, sys, torch, yaml
root, fixtures = sys.argv[1], sys.argv[2]
for name in sys.argv[3:]:
    sd = torch.load(os.path.join(root, name, "ours", "model.pt"), map_location="cpu")
    assert type(sd) is collections.OrderedDict
    expected = {}
    for line in open(os.path.join(fixtures, name + ".txt")):
        if line.startswith("#") or not line.strip():
            continue
        key, shape, _ = line.rstrip("\n").split("\t")
        expected[key] = [int(d) for d in shape.strip("[]").split(",") if d.strip()]
    got = {k: list(v.shape) for k, v in sd.items()}
    assert got == expected, (name, set(got) ^ set(expected))
    assert all(v.dtype == torch.float32 for v in sd.values())
    config = yaml.safe_load(open(os.path.join(root, name, "ours", "config.yaml")))
    wm = set(config["world_model"])
    assert {"name", "state_dim", "hidden_size", "hidden_layers", "encoders", "decoders", "probes"} <= wm, wm
    out = os.path.join(root, name, "torch")
    os.makedirs(out)
    torch.save(sd, os.path.join(out, "model.pt"))
    shutil.copy(os.path.join(root, name, "ours", "config.yaml"), out)
)PY";
  std::ofstream(root / "check.py") << script;
  std::string cmd = python + " " + (root / "check.py").string() + " " + root.string() + " " + AIME_SOURCE_DIR +
                    "/tests/models/fixtures/original-keys";
  for (const Case& c : cases) cmd += " " + c.name();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name());
    const fs::path dir = root / cases[i].name();
    EXPECT_TRUE(is_original_folder((dir / "torch").string()));
    const LoadedModel from_torch = load_pretrained_model((dir / "torch").string());
    const LoadedModel from_ours = load_pretrained_model((dir / "ours").string());
    const LoadedModel from_aime = load_pretrained_model((dir / "aime").string());
    expect_bit_identical(models_[i]->state_dict(), from_torch.model->state_dict());
    expect_bit_identical(models_[i]->state_dict(), from_ours.model->state_dict());  // aime -> .pt -> aime
    EXPECT_EQ(from_torch.metadata.at("format"), "original");
    EXPECT_EQ(from_torch.metadata.at("original.env"), cases[i].env == "walker" ? "walker-walk" : "cheetah-run");
    // The same ELBO from both folders, on the same batch and noise.
    Generator data(3);
    const Batch batch = batch_for(from_aime.model->config(), data);
    Generator g1(11), g2(11);
    const double a = from_aime.model->elbo(batch, g1).elbo.item();
    const double b = from_torch.model->elbo(batch, g2).elbo.item();
    EXPECT_EQ(a, b);
    EXPECT_TRUE(std::isfinite(a));
  }
  fs::remove_all(root);
}

TEST(OriginalFolder, APolicyPtActsThroughItsModel) {
  if (!models::have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  Generator gen(1);
  auto config = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"position", {3}}, {"velocity", {2}}}, 2);
  config.rssm.deterministic_size = config.rssm.hidden_size = config.head_hidden_size = 16;
  config.rssm.stochastic_size = 4;
  models::WorldModel model(config, gen);
  models::TanhGaussianPolicy policy(model.ssm().feature_size(), 2, 32, 2, gen);
  const fs::path dir = fs::temp_directory_path() / ("aime_original_policy_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  models::OriginalRun run;
  run.embodiment = "cartpole";
  run.task = "swingup";
  run.setup = models::Setup::MDP;
  save_original_model(dir.string(), model, run, &policy);
  EXPECT_TRUE(fs::exists(dir / "policy.pt"));
  const LoadedPolicy loaded = load_policy(dir.string());
  EXPECT_EQ(loaded.algo, "aime");
  EXPECT_EQ(loaded.metadata.at("policy.hidden_size"), "32");
  auto back = std::dynamic_pointer_cast<models::TanhGaussianPolicy>(loaded.modules.at(1));
  ASSERT_TRUE(back);
  expect_bit_identical(policy.state_dict(), back->state_dict());
  // A folder without policy.pt is a model folder, not a policy folder.
  fs::remove(dir / "policy.pt");
  EXPECT_THROW(load_policy(dir.string()), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace aime::algorithms
