// Every loader of a file a user hands aime, fed seeded mutants of a valid file (tests/fuzz/
// mutator.h): each must load or refuse with an aime::Error, within seconds, without a
// crash or a giant allocation. CI runs these in the sanitizer build too
// (scripts/sanitize.sh), where a memory error is a failure.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "autograd/api.h"
#include "data/episode.h"
#include "data/episode_file.h"
#include "data/npy.h"
#include "data/npz.h"
#include "data/png.h"
#include "data/sequence_dataset.h"
#include "models/original_config.h"
#include "models/original_names.h"
#include "models/world_model.h"
#include "nn/serialize/pickle.h"
#include "nn/serialize/safetensors.h"
#include "nn/serialize/torch_checkpoint.h"
#include "tests/fuzz/mutator.h"

namespace aime {
namespace {

namespace fs = std::filesystem;
using testing::fuzz_loader;

constexpr int kIterations = 600;
constexpr double kSeconds = 4.0;  // per loader; under the sanitizers it is the bound that ends a run

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("aime_fuzz_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string slurp(const fs::path& path) { return io::read_file_bytes(path.string()); }

data::Episode small_episode() {
  Generator gen(3);
  data::Episode e;
  e.set("image", (rand({6, 4, 4, 3}, gen) * 255.0).to(kUInt8));
  e.set("pre_action", rand({6, 2}, gen, kFloat64));
  e.set("reward", rand({6}, gen));
  e.set("is_first", zeros({6}, kUInt8), true);
  return e;
}

TEST(Fuzz, Npy) {
  for (const auto& a : {data::NpyArray{arange(0, 12, 1, kFloat32).reshape({3, 4}), false},
                        data::NpyArray{zeros({2, 2, 3}, kUInt8), true}}) {
    const int refused = fuzz_loader("npy", data::serialize_npy(a), 11, kIterations, kSeconds,
                                    [](const std::string& b) { data::parse_npy(b, "fuzz.npy"); });
    EXPECT_GT(refused, 0);
  }
}

TEST(Fuzz, EpisodeFilesStoredAndCompressed) {
  const fs::path dir = scratch("episode");
  for (data::Compression c : {data::Compression::Stored, data::Compression::Deflate}) {
    const fs::path good = dir / "good.npz";
    data::save_episode(good.string(), small_episode(), c);
    const fs::path path = dir / "0.npz";
    const int refused = fuzz_loader("episode", slurp(good), c == data::Compression::Stored ? 21 : 22, kIterations, kSeconds,
                                    [&](const std::string& b) {
                                      write(path, b);
                                      const data::EpisodeFile f(path.string());
                                      f.load();
                                      for (const auto& k : f.keys()) f.scan(k, 64, [](const Tensor&, std::int64_t) {});
                                      data::load_episode(path.string());
                                      data::SequenceDatasetOptions o;
                                      o.horizon = 2;
                                      o.memory_budget = 64;  // on demand: rows and the cache
                                      const data::SequenceDataset ds(dir.string(), o);
                                      ds.collate({ds.window(0), ds.window(ds.num_windows() - 1)});
                                    });
    EXPECT_GT(refused, 0);
  }
  fs::remove_all(dir);
}

TEST(Fuzz, Safetensors) {
  Generator gen(4);
  nn::StateDict sd;
  sd.set("w", rand({3, 5}, gen));
  sd.set("b", zeros({5}, kFloat64));
  const std::string good = nn::serialize_safetensors(sd, {{"world_model.model", "rssm"}, {"train.step", "7"}});
  const int refused = fuzz_loader("safetensors", good, 31, kIterations, kSeconds,
                                  [](const std::string& b) { nn::parse_safetensors(b, "fuzz.safetensors"); });
  EXPECT_GT(refused, 0);
}

TEST(Fuzz, TorchCheckpointAndItsPickle) {
  Generator gen(5);
  nn::StateDict sd;
  sd.set("layer.weight", rand({4, 3}, gen));
  sd.set("layer.bias", rand({4}, gen));
  const std::string good = nn::serialize_torch_checkpoint(sd);
  int refused = fuzz_loader("pt", good, 41, kIterations, kSeconds,
                            [](const std::string& b) { nn::parse_torch_checkpoint(b, "fuzz.pt"); });
  EXPECT_GT(refused, 0);
  // The pickle alone (data.pkl), where the mutants reach the unpickler's opcodes.
  const io::ZipReader zip(good, "good.pt");
  std::string pkl;
  for (const auto& e : zip.entries())
    if (e.name.size() >= 8 && e.name.compare(e.name.size() - 8, 8, "data.pkl") == 0) pkl = zip.read(e);
  ASSERT_FALSE(pkl.empty());
  refused = fuzz_loader("pickle", pkl, 42, kIterations, kSeconds,
                        [](const std::string& b) { nn::pickle::unpickle_state_dict(b, "fuzz.pkl"); });
  EXPECT_GT(refused, 0);
}

TEST(Fuzz, ModelMetadata) {
  const auto config = models::WorldModelConfig::original("rssm", models::Setup::MDP, {{"velocity", {3}}}, 2);
  const nn::Metadata good = config.to_metadata();
  const double good_parameters = config.parameter_count();
  // Mutate one value at a time (the metadata of a model.safetensors is text): the config
  // either validates or names the key; a valid one must build.
  std::vector<std::string> keys;
  for (const auto& [k, v] : good) keys.push_back(k);
  int refused = 0;
  for (std::size_t i = 0; i < keys.size(); ++i)
    refused += fuzz_loader("metadata " + keys[i], good.at(keys[i]), 51 + i, 30, kSeconds / 8, [&](const std::string& v) {
      nn::Metadata m = good;
      m[keys[i]] = v;
      const auto c = models::WorldModelConfig::from_metadata(m);
      c.validate();
      if (c.parameter_count() <= good_parameters) {  // a valid config builds (larger ones: validate's word)
        Generator gen(0);
        models::WorldModel model(c, gen);
      }
    });
  EXPECT_GT(refused, 0);
}

TEST(Fuzz, OriginalConfigYaml) {
  if (!models::have_yaml()) GTEST_SKIP() << "built without yaml-cpp";
  const auto config =
      models::WorldModelConfig::original("rssm", models::Setup::Visual, {{"image", {3, 64, 64}}, {"velocity", {9}}}, 6);
  Generator gen(0);
  const nn::StateDict original = models::to_original_state_dict(models::WorldModel(config, gen));
  models::OriginalRun run;
  run.set_env("walker-walk");
  const std::string good = models::original_config_yaml(config, run);
  const int refused = fuzz_loader("config.yaml", good, 61, kIterations / 2, kSeconds, [&](const std::string& y) {
    models::parse_original_config(y, "config.yaml", original);
  });
  EXPECT_GT(refused, 0);
}

TEST(Fuzz, Png) {
  const fs::path dir = scratch("png");
  Generator gen(7);
  data::write_png((dir / "good.png").string(), (rand({5, 6, 3}, gen) * 255.0).to(kUInt8));
  const fs::path path = dir / "x.png";
  const int refused = fuzz_loader("png", slurp(dir / "good.png"), 71, kIterations, kSeconds, [&](const std::string& b) {
    write(path, b);
    data::read_png(path.string());
  });
  EXPECT_GT(refused, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace aime
