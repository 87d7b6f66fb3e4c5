// SequenceDataset: every window of `horizon` consecutive steps of every episode of a folder
// (the original's NPZFolder): with overlap, the starts 0, 1, ..., T - horizon of each
// episode; without, 0, horizon, 2 horizon, ...
//
// Memory: a folder is first indexed from its headers alone (data/episode_file.h). When its
// decoded arrays fit in `memory_budget` they are loaded once and stay in memory in their
// stored dtypes (uint8 images: a quarter of the original's float32 copy). A larger folder is
// read on demand, per batch: a stored array (np.savez, aime's writer) by the window's rows
// straight from the file (the OS page cache keeps what is hot), a compressed one
// (np.savez_compressed) decompressed whole into a least-recently-used cache of at most
// `memory_budget` bytes. Both paths give the same batches. Windows are converted per batch by
// collate():
//   every array becomes float32, time-major [T, B, ...];
//   an array with 4 dims [T, H, W, C] (an image) becomes [T, B, C, H, W] divided by 255,
//   as the original's preprocessing does.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/episode.h"
#include "autograd/tensor_dict.h"

namespace aime::data {

struct SequenceDatasetOptions {
  std::int64_t horizon = 50;
  bool overlap = true;
  // Only these keys are read (loaded, counted against the budget, collated, returned by
  // episode()); empty: every key of the first episode.
  std::vector<std::string> keys;
  // A NaN or an infinity in a float array is refused at load, naming the episode file, the
  // key and the element (step); true lets them through (at the training's own risk).
  bool allow_non_finite = false;
  // Only the first n episodes (by index, as the original's keep(n)); 0 keeps all. Unlike
  // keep(), the others are never read.
  std::int64_t max_episodes = 0;
  // Bytes of decoded episodes held in memory (see above); 0: half of this machine's
  // physical memory.
  std::uint64_t memory_budget = 0;
};

class SequenceDataset;
// The first episode of a folder, indexed from its headers and never loaded: its keys and
// per-step shapes (step_shape), to decide which keys to read before reading the folder.
SequenceDataset index_first_episode(const std::string& dir);

// The default budget: half of the physical memory (sysconf), 1 GiB when that is unknown.
std::uint64_t default_memory_budget();

class EpisodeFile;

class SequenceDataset {
 public:
  // Indexes every `<int>.npz` of dir (and loads them when they fit the budget). Every episode
  // must hold every key with the same per-step shape (errors name both files and the key).
  SequenceDataset(const std::string& dir, const SequenceDatasetOptions& options = {});
  ~SequenceDataset();
  SequenceDataset(SequenceDataset&&) noexcept;
  SequenceDataset& operator=(SequenceDataset&&) noexcept;
  // Over episodes already in memory; names label them in errors.
  SequenceDataset(std::vector<Episode> episodes, std::vector<std::string> names,
                  const SequenceDatasetOptions& options = {});

  // Keeps the first n episodes (by index, as the original's keep(n)).
  void keep(std::int64_t n);

  struct Window {
    std::int64_t episode = 0;
    std::int64_t start = 0;
  };
  std::int64_t num_episodes() const { return static_cast<std::int64_t>(names_.size()); }
  std::int64_t episode_length(std::int64_t i) const { return lengths_.at(static_cast<std::size_t>(i)); }
  std::int64_t num_windows() const { return window_offsets_.empty() ? 0 : window_offsets_.back(); }
  std::int64_t horizon() const { return options_.horizon; }
  const SequenceDatasetOptions& options() const { return options_; }
  // The folder (for episodes given in memory: the one episode's name, or "SequenceDataset"):
  // errors start with it.
  const std::string& where() const { return where_; }
  const std::vector<std::string>& keys() const { return keys_; }
  // Episode i whole, the selected keys (from memory, or read from its file when the folder is
  // read on demand).
  Episode episode(std::int64_t i) const;
  // A key's per-step shape (the same in every episode) and whether it is a NumPy bool.
  Shape step_shape(const std::string& key) const;
  // True when every episode is in memory (the folder fit the budget, or was given in memory).
  bool resident() const { return files_.empty(); }
  // Bytes of decoded arrays held now (the resident episodes, or the cache).
  std::uint64_t memory_in_use() const;
  // Bytes of every episode's arrays decoded (what holding the folder in memory takes).
  std::uint64_t decoded_bytes() const { return decoded_bytes_; }
  // One line for a user: "in memory, 1.2 MiB" or "read per batch: 24.00 GiB decoded over a
  // budget of 4.00 GiB".
  std::string memory_summary() const;
  const std::string& episode_name(std::int64_t i) const { return names_.at(static_cast<std::size_t>(i)); }
  // Window i of num_windows(), episodes in order, starts ascending within each.
  Window window(std::int64_t i) const;
  // Stacks the windows time-major (see above). Safe on a background thread (the on-demand
  // cache is guarded by a mutex).
  Batch collate(const std::vector<Window>& windows) const;

 private:
  struct Cache;
  void index();
  void check_finite() const;
  // The array a window of episode e reads for key k, and the step its first row holds.
  std::pair<Tensor, std::int64_t> source(std::int64_t e, std::size_t k, std::int64_t start) const;

  SequenceDatasetOptions options_;
  std::vector<Episode> episodes_;   // resident
  std::vector<EpisodeFile> files_;  // on demand
  std::vector<std::string> names_;
  std::vector<std::int64_t> lengths_;
  std::vector<std::string> keys_;
  std::vector<Shape> step_shapes_;  // per key
  std::vector<std::int64_t> window_offsets_;  // cumulative windows after each episode
  std::unique_ptr<Cache> cache_;
  std::uint64_t decoded_bytes_ = 0;
  std::string where_ = "SequenceDataset";  // errors start with it: the folder, when there is one
};

}  // namespace aime::data
