// Episodes in the original AIME dataset layout (docs/original.md §5): a folder of
// `0.npz, 1.npz, ...`, one trajectory per file, one array per key, time first:
//   image [T, 64, 64, 3] uint8 (HWC), vector sensors [T, D] (float64 from dm_control),
//   pre_action [T, A] (the action that led to each observation; zeros at t = 0),
//   reward [T, 1], is_first / is_last / is_terminal [T, 1] bool.
// Loading expands [T] arrays to [T, 1] (as the original does) and checks that every key
// has the same T.
#pragma once
#include <string>
#include <vector>

#include "data/npz.h"

namespace aime::data {

class Episode {
 public:
  Episode() = default;
  explicit Episode(NpzArrays arrays) : arrays_(std::move(arrays)) {}

  // T, the length of the time axis (0 for an empty episode).
  std::int64_t length() const;
  bool contains(const std::string& key) const;
  const NpyArray& at(const std::string& key) const;  // ValueError naming the key
  // Adds or replaces a key (keeping its position).
  void set(const std::string& key, NpyArray array);
  void set(const std::string& key, const Tensor& data, bool boolean = false) { set(key, NpyArray{data, boolean}); }
  std::vector<std::string> keys() const;
  const NpzArrays& arrays() const { return arrays_; }

  // Checks every array has at least one dim and the same T; `source` names the episode.
  void validate(const std::string& source) const;

 private:
  NpzArrays arrays_;
};

Episode load_episode(const std::string& path);
// Validates, then writes atomically.
void save_episode(const std::string& path, const Episode& episode, Compression compression = Compression::Stored);

// The `<int>.npz` files of a folder, sorted by that integer (the original's order). Other
// files are ignored; a missing folder or one without episodes is an error.
std::vector<std::string> list_episode_files(const std::string& dir);

}  // namespace aime::data
