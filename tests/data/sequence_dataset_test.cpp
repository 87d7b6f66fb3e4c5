#include "data/sequence_dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "autograd/api.h"
#include "data/episode.h"

namespace aime::data {
namespace {

// Episode e: image[t] is an [2, 3, 2] (H, W, C) frame filled with 10 e + t plus the
// channel; action[t] = [e, t].
Episode make(std::int64_t e, std::int64_t T) {
  std::vector<double> image, action;
  for (std::int64_t t = 0; t < T; ++t) {
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 2; ++c) image.push_back(static_cast<double>(10 * e + t + 100 * c));
    action.push_back(static_cast<double>(e));
    action.push_back(static_cast<double>(t));
  }
  Episode ep;
  ep.set("image", tensor(image, {T, 2, 3, 2}, kFloat32).to(kUInt8));
  ep.set("pre_action", tensor(action, {T, 2}, kFloat64));
  return ep;
}

SequenceDataset dataset(std::vector<std::int64_t> lengths, std::int64_t horizon, bool overlap) {
  std::vector<Episode> episodes;
  for (std::size_t e = 0; e < lengths.size(); ++e) episodes.push_back(make(static_cast<std::int64_t>(e), lengths[e]));
  SequenceDatasetOptions o;
  o.horizon = horizon;
  o.overlap = overlap;
  return SequenceDataset(std::move(episodes), {}, o);
}

TEST(SequenceDataset, CountsEveryWindow) {
  // Overlapping: len - h + 1 per episode; an episode shorter than h gives none.
  const SequenceDataset over = dataset({5, 2, 7}, 3, true);
  EXPECT_EQ(over.num_windows(), 3 + 0 + 5);
  EXPECT_EQ(over.window(0).episode, 0);
  EXPECT_EQ(over.window(2).start, 2);
  EXPECT_EQ(over.window(3).episode, 2);
  EXPECT_EQ(over.window(7).start, 4);
  EXPECT_THROW(over.window(8), ValueError);
  // Non-overlapping: floor(len / h) windows at 0, h, 2h, ...
  const SequenceDataset apart = dataset({5, 2, 7}, 3, false);
  EXPECT_EQ(apart.num_windows(), 1 + 0 + 2);
  EXPECT_EQ(apart.window(2).start, 3);
}

TEST(SequenceDataset, CollatesTimeMajorWithImagesAsCHWInUnitRange) {
  const SequenceDataset ds = dataset({5, 7}, 3, true);
  const Batch batch = ds.collate({{1, 2}, {0, 0}});
  const Tensor& image = batch.at("image");
  EXPECT_EQ(image.shape(), (Shape{3, 2, 2, 2, 3}));  // [T, B, C, H, W]
  EXPECT_EQ(image.dtype(), kFloat32);
  // t = 1, b = 0 is episode 1 at step 3: value 10 + 3 (+ 100 for channel 1), / 255.
  EXPECT_FLOAT_EQ(image.select(0, 1).select(0, 0).select(0, 0).select(0, 1).select(0, 2).item(), 13.0f / 255.0f);
  EXPECT_FLOAT_EQ(image.select(0, 1).select(0, 0).select(0, 1).select(0, 0).select(0, 0).item(), 113.0f / 255.0f);
  const Tensor& action = batch.at("pre_action");
  EXPECT_EQ(action.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(action.select(0, 2).to_vector<float>(), (std::vector<float>{1, 4, 0, 2}));
}

TEST(SequenceDataset, KeepUsesTheFirstEpisodes) {
  SequenceDataset ds = dataset({5, 7, 9}, 3, true);
  ds.keep(2);
  EXPECT_EQ(ds.num_episodes(), 2);
  EXPECT_EQ(ds.num_windows(), 3 + 5);
  EXPECT_THROW(ds.keep(0), ValueError);
}

// A NaN or an infinity in a float array is refused at load with the file, the key and the
// step; the option lets it through.
TEST(SequenceDataset, NonFiniteValuesAreRefusedWithTheFileKeyAndStep) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("aime_nan_dataset_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  save_episode((dir / "0.npz").string(), make(0, 4));
  Episode bad = make(1, 4);
  Tensor a = bad.at("pre_action").data.clone();
  a.data<double>()[5] = std::numeric_limits<double>::infinity();  // step 2, second value
  bad.set("pre_action", a);
  save_episode((dir / "1.npz").string(), bad);
  SequenceDatasetOptions o;
  o.horizon = 2;
  try {
    SequenceDataset d(dir.string(), o);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("1.npz: key 'pre_action' holds inf at element 5 (step 2)"), std::string::npos) << msg;
  }
  o.allow_non_finite = true;
  EXPECT_EQ(SequenceDataset(dir.string(), o).num_episodes(), 2);
  std::filesystem::remove_all(dir);
}

TEST(SequenceDataset, InconsistentEpisodesNameTheFileAndKey) {
  std::vector<Episode> episodes = {make(0, 5), make(1, 5)};
  Episode odd = make(2, 5);
  odd.set("pre_action", zeros({5, 3}));
  episodes.push_back(odd);
  SequenceDatasetOptions o;
  o.horizon = 2;
  try {
    SequenceDataset(episodes, {"0.npz", "1.npz", "2.npz"}, o);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("2.npz: key 'pre_action' has per-step shape [3], 0.npz has [2]"), std::string::npos)
        << e.what();
  }
  o.keys = {"image", "velocity"};
  try {
    SequenceDataset({make(0, 5)}, {"0.npz"}, o);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("0.npz: key 'velocity' is missing"), std::string::npos) << e.what();
  }
  o.keys = {};
  o.horizon = 6;
  EXPECT_THROW(SequenceDataset({make(0, 5)}, {"0.npz"}, o), ValueError);  // no window fits
}

}  // namespace
}  // namespace aime::data
