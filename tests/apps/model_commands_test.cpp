// Runs `aime train-model` (with config files) and `aime elbo` end to end on a tiny dataset.
#include <gtest/gtest.h>

#include "tests/apps/run_aime.h"

#include "data/episode.h"
#include "data/png.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace {

using aime::app::testing::run_aime;
auto run(const std::string& args) { return run_aime(args); }

TEST(TrainModel, TrainsResumesAndEvaluates) {
  namespace fs = std::filesystem;
  const fs::path data = fs::temp_directory_path() / "aime_cli_train_data", model = fs::temp_directory_path() / "aime_cli_model";
  fs::remove_all(data);
  fs::remove_all(model);
  auto [status, out] = run("collect --env cartpole-balance --policy random --episodes 2 --seed 1 --out " + data.string());
  ASSERT_EQ(status, 0) << out;
  const std::string configs = std::string(AIME_SOURCE_DIR) + "/configs/";
  const std::string train = "train-model --dataset " + data.string() + " --setup lpomdp --world-model rssmo --config " +
                            configs + "model-only.ini --config " + configs + "small.ini --batch-size 4 --horizon 8 " +
                            "--batches-per-epoch 2 --checkpoint-every 2 --out " + model.string();
  std::tie(status, out) = run(train + " --epochs 1");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("step 2: loss"), std::string::npos) << out;
  std::tie(status, out) = run(train + " --epochs 2 --resume");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("step 4: loss"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(model / "optimizer.safetensors"));
  std::tie(status, out) = run(train + " --epochs 2 --resume");  // nothing left to do: it says so
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("the run is finished (step 4 of 4)"), std::string::npos) << out;
  // A later --config overrides an earlier one: small.ini's horizon (16) wins over model-only.ini's (50).
  std::tie(status, out) = run("train-model --dataset " + data.string() + " --setup mdp --config " + configs +
                              "model-only.ini --config " + configs + "small.ini --epochs 1 --batches-per-epoch 1 --out " +
                              (model / "precedence").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("windows of 16 steps"), std::string::npos) << out;
  std::tie(status, out) = run("elbo --model " + model.string() + " --dataset " + data.string() +
                              " --batches 2 --batch-size 4 --horizon 8");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("reconstruction/position"), std::string::npos) << out;
  // --action-check adds the ELBO lost under changed actions, on the same windows and noise:
  // the recorded actions' lines are unchanged.
  const std::string plain = out;
  std::tie(status, out) = run("elbo --model " + model.string() + " --dataset " + data.string() +
                              " --batches 2 --batch-size 4 --horizon 8 --action-check");
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.rfind(plain, 0), 0u) << plain << "\n---\n" << out;
  for (const char* variant : {"zero", "negated", "halved", "doubled", "other window's"}) {
    const auto at = out.find(std::string("\n  ") + variant + " ");
    ASSERT_NE(at, std::string::npos) << variant << "\n" << out;
    // Each line splits the ELBO lost into the KL's rise and the reconstruction's fall.
    const std::string line = out.substr(at + 3 + std::string(variant).size(), out.find('\n', at + 1) - at);
    double lost = 0, kl = 0, rec = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), " %lf (kl %lf, reconstruction %lf)", &lost, &kl, &rec), 3) << line;
    EXPECT_NEAR(lost, kl + rec, 1e-3) << line;
  }
  EXPECT_EQ(out.find("nan"), std::string::npos) << out;
  std::tie(status, out) = run("imagine --model " + model.string() + " --dataset " + data.string() +
                              " --context 3 --horizon 4 --sequences 2");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("position     model MSE"), std::string::npos) << out;
  EXPECT_NE(out.find("repeat-last-frame MSE"), std::string::npos) << out;
  std::tie(status, out) = run("filter --model " + model.string() + " --dataset " + data.string() + " --out " +
                              (model / "states.npz").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("501 steps filtered"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(model / "states.npz"));
  std::tie(status, out) = run("train-model --dataset " + data.string() + " --out " + model.string() + " --config /nonexistent.ini");
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("/nonexistent.ini"), std::string::npos) << out;
  std::tie(status, out) = run("train-model --dataset " + data.string() + " --setup pixels --out " + model.string());
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("expected visual, lpomdp or mdp"), std::string::npos) << out;
  // A folder without a sensor the model reads, or windows longer than every episode: refused
  // before any step, naming the folder (and the model and the key).
  const fs::path lacking = model / "lacking";
  fs::create_directories(lacking);
  for (const auto& file : aime::data::list_episode_files(data.string())) {
    const aime::data::Episode e = aime::data::load_episode(file);
    aime::data::Episode kept;
    for (const auto& [key, array] : e.arrays())
      if (key != "position") kept.set(key, array);
    aime::data::save_episode((lacking / fs::path(file).filename()).string(), kept);
  }
  for (const std::string command : {"elbo", "imagine"}) {
    std::tie(status, out) = run(command + " --model " + model.string() + " --dataset " + lacking.string());
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find(lacking.string() + ": the episodes have no 'position' ([3] per step), which the model of " +
                       model.string() + " needs"), std::string::npos) << out;
  }
  std::tie(status, out) = run("elbo --model " + model.string() + " --dataset " + data.string() + " --horizon 600");
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find(data.string() + ": no episode is as long as the horizon 600 (the longest has 501 steps)"),
            std::string::npos) << out;

  // The original's folder layout: convert, then every --model command reads it as it is and
  // gives the same numbers; converting back gives the same weights.
  const fs::path original = model / "original", back = model / "back";
  std::tie(status, out) = run("convert --model " + model.string() + " --out " + original.string() + " --env cartpole-balance");
  if (status != 0 && out.find("built without yaml-cpp") != std::string::npos) {  // AIME_YAML=OFF: said so, nothing more to run
    fs::remove_all(data);
    fs::remove_all(model);
    GTEST_SKIP() << out;
  }
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("model.pt and config.yaml (cartpole-balance, lpomdp)"), std::string::npos) << out;
  const std::string elbo = "elbo --dataset " + data.string() + " --batches 2 --batch-size 4 --horizon 8 --model ";
  std::string from_aime, from_original;
  std::tie(status, from_aime) = run(elbo + model.string());
  ASSERT_EQ(status, 0) << from_aime;
  std::tie(status, from_original) = run(elbo + original.string());
  ASSERT_EQ(status, 0) << from_original;
  EXPECT_EQ(from_aime, from_original);
  std::tie(status, out) = run("convert --model " + original.string() + " --out " + back.string());
  ASSERT_EQ(status, 0) << out;
  std::tie(status, out) = run(elbo + back.string());
  EXPECT_EQ(out, from_aime);
  std::tie(status, out) = run("checkpoint info " + (original / "model.pt").string());
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("initial_memory"), std::string::npos) << out;
  EXPECT_NE(out.find("encoders.tabular.net.0.weight"), std::string::npos) << out;
  // A broken model.pt names the file.
  { std::ofstream(original / "model.pt", std::ios::binary | std::ios::trunc) << "PK\x03\x04 truncated"; }
  std::tie(status, out) = run(elbo + original.string());
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find((original / "model.pt").string()), std::string::npos) << out;
  fs::remove_all(data);
  fs::remove_all(model);
}

}  // namespace

namespace {

// `--metrics csv,tensorboard`: the same training run (the CSV byte for byte, timings aside,
// as without it) also writes a TensorBoard event file with every metric at every step and,
// for an image model, the prediction grid; read back by tests/io/read_tfevents.py.
TEST(TrainModel, TensorBoardEventsHoldEveryMetricAndThePredictionGrid) {
  namespace fs = std::filesystem;
  if (std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  const fs::path dir = fs::temp_directory_path() / ("aime_cli_tb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto [status, out] = run("collect --env pendulum-swingup --policy random --episodes 2 --episode-steps 60 --seed 1 --out " +
                           (dir / "data").string());
  ASSERT_EQ(status, 0) << out;
  const std::string train = "train-model --dataset " + (dir / "data").string() +
                            " --setup visual --state-size 8,2 --hidden-size 8 --cnn-width 2 --batch-size 2 --horizon 6"
                            " --epochs 1 --batches-per-epoch 3 --out ";
  std::tie(status, out) = run(train + (dir / "tb").string() + " --metrics csv,tensorboard --image-every 2");
  ASSERT_EQ(status, 0) << out;
  std::tie(status, out) = run(train + (dir / "plain").string());
  ASSERT_EQ(status, 0) << out;
  fs::path events;
  for (const auto& e : fs::directory_iterator(dir / "tb"))
    if (e.path().filename().string().find("tfevents") != std::string::npos) events = e.path();
  ASSERT_FALSE(events.empty());
  EXPECT_FALSE(fs::exists(dir / "plain" / events.filename()));
  const std::string reader = std::string("python3 ") + AIME_SOURCE_DIR + "/tests/io/read_tfevents.py " + events.string();
  FILE* pipe = popen(reader.c_str(), "r");
  std::string decoded;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) decoded.append(buf.data(), n);
  ASSERT_EQ(pclose(pipe), 0) << decoded;
  for (int step = 1; step <= 3; ++step)
    for (const char* tag : {"loss", "elbo", "kl", "rec/image", "grad_norm"})
      EXPECT_NE(decoded.find("\"step\": " + std::to_string(step) + ", \"values\": [{\"tag\": \"" + tag + "\""),
                std::string::npos)
          << tag << " at step " << step;
  // Grids at step 2 (--image-every) and at the last, 3: 2 windows x (truth, model, error)
  // rows of 6 frames of 64 x 64.
  EXPECT_NE(decoded.find("\"step\": 2, \"values\": [{\"tag\": \"prediction/image\""), std::string::npos);
  EXPECT_EQ(decoded.find("\"step\": 1, \"values\": [{\"tag\": \"prediction/image\""), std::string::npos);
  EXPECT_NE(decoded.find("\"step\": 3, \"values\": [{\"tag\": \"prediction/image\", \"image\": {\"height\": 391, "
                         "\"width\": 391, \"colorspace\": 3, \"encoded_image_string\": \"89504e47"),
            std::string::npos)
      << decoded.substr(decoded.size() > 600 ? decoded.size() - 600 : 0);
  // The run is the same run: the weights are byte for byte those written without TensorBoard.
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(dir / "tb" / "model.safetensors"), bytes(dir / "plain" / "model.safetensors"));
  // The model's prediction video (data/gif.h tests the file with giflib's decoder).
  std::tie(status, out) = run("imagine --model " + (dir / "tb").string() + " --dataset " + (dir / "data").string() +
                              " --context 2 --horizon 3 --sequences 2 --video " + (dir / "pred.gif").string());
  if (out.find("without giflib") == std::string::npos) {
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("5 frames at 10 fps"), std::string::npos) << out;
    EXPECT_EQ(bytes(dir / "pred.gif").substr(0, 6), "GIF89a");
  }
  std::tie(status, out) = run(train + (dir / "bad").string() + " --metrics csv,wandb");
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("optionally with ,tensorboard"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace

namespace {

// `aime plot`: a 640 x 400 figure with the two series in tab10's first two colours, the
// light-grey grid, and dark ink for the frame, ticks and labels; a bad column is named.
TEST(Plot, SeriesInDistinctColoursOverAGrid) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aime_cli_plot_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "metrics.csv");
    csv << "step,loss,kl\n";
    for (int s = 1; s <= 30; ++s) csv << s << "," << 100.0 - 3 * s << "," << 5 + 0.1 * s << "\n";
  }
  auto [status, out] = run("plot --csv " + (dir / "metrics.csv").string() + " --column loss --column kl --out " +
                           (dir / "plot.png").string());
  ASSERT_EQ(status, 0) << out;
  const aime::Tensor png = aime::data::read_png((dir / "plot.png").string(), 3);
  ASSERT_EQ(png.size(0), 400);
  ASSERT_EQ(png.size(1), 640);
  const auto* p = png.data<std::uint8_t>();
  auto count = [&](int r, int g, int b, int tolerance) {
    int n = 0;
    for (std::int64_t i = 0; i < 400 * 640; ++i)
      if (std::abs(p[3 * i] - r) <= tolerance && std::abs(p[3 * i + 1] - g) <= tolerance && std::abs(p[3 * i + 2] - b) <= tolerance)
        ++n;
    return n;
  };
  EXPECT_GT(count(31, 120, 181, 6), 300);  // loss: tab10 blue
  EXPECT_GT(count(255, 127, 13, 6), 300);  // kl: tab10 orange
  int grid = 0;  // the grid: light neutral grey (antialiased lines on white)
  for (std::int64_t i = 0; i < 400 * 640; ++i)
    if (p[3 * i] == p[3 * i + 1] && p[3 * i + 1] == p[3 * i + 2] && p[3 * i] >= 215 && p[3 * i] <= 248) ++grid;
  EXPECT_GT(grid, 1000);
  EXPECT_GT(count(38, 38, 38, 12), 500);    // frame, ticks, labels
  std::tie(status, out) = run("plot --csv " + (dir / "metrics.csv").string() + " --column nope --out " +
                              (dir / "bad.png").string());
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
