// SequenceDataset: every window of `horizon` consecutive steps of every episode of a folder
// (the original's NPZFolder): with overlap, the starts 0, 1, ..., T - horizon of each
// episode; without, 0, horizon, 2 horizon, ... Episodes stay in memory in their stored
// dtypes (uint8 images: a quarter of the original's float32 copy) and are converted per
// batch by collate():
//   every array becomes float32, time-major [T, B, ...];
//   an array with 4 dims [T, H, W, C] (an image) becomes [T, B, C, H, W] divided by 255,
//   as the original's preprocessing does.
#pragma once
#include <string>
#include <vector>

#include "data/episode.h"
#include "autograd/tensor_dict.h"

namespace aime::data {

struct SequenceDatasetOptions {
  std::int64_t horizon = 50;
  bool overlap = true;
  std::vector<std::string> keys;  // empty: every key of the first episode
  // A NaN or an infinity in a float array is refused at load, naming the episode file, the
  // key and the element (step); true lets them through (at the training's own risk).
  bool allow_non_finite = false;
};

class SequenceDataset {
 public:
  // Loads every `<int>.npz` of dir. Every episode must hold every key with the same
  // per-step shape (errors name both files and the key).
  SequenceDataset(const std::string& dir, const SequenceDatasetOptions& options = {});
  // Over episodes already in memory; names label them in errors.
  SequenceDataset(std::vector<Episode> episodes, std::vector<std::string> names,
                  const SequenceDatasetOptions& options = {});

  // Keeps the first n episodes (by index, as the original's keep(n)).
  void keep(std::int64_t n);

  struct Window {
    std::int64_t episode = 0;
    std::int64_t start = 0;
  };
  std::int64_t num_episodes() const { return static_cast<std::int64_t>(episodes_.size()); }
  std::int64_t num_windows() const { return window_offsets_.empty() ? 0 : window_offsets_.back(); }
  std::int64_t horizon() const { return options_.horizon; }
  const SequenceDatasetOptions& options() const { return options_; }
  const std::vector<std::string>& keys() const { return keys_; }
  const Episode& episode(std::int64_t i) const { return episodes_.at(static_cast<std::size_t>(i)); }
  const std::string& episode_name(std::int64_t i) const { return names_.at(static_cast<std::size_t>(i)); }
  // Window i of num_windows(), episodes in order, starts ascending within each.
  Window window(std::int64_t i) const;
  // Stacks the windows time-major (see above). Plain loops, safe on a background thread.
  Batch collate(const std::vector<Window>& windows) const;

 private:
  void index();
  void check_finite() const;

  SequenceDatasetOptions options_;
  std::vector<Episode> episodes_;
  std::vector<std::string> names_;
  std::vector<std::string> keys_;
  std::vector<std::int64_t> window_offsets_;  // cumulative windows after each episode
};

}  // namespace aime::data
