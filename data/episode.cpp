#include "data/episode.h"

#include <algorithm>
#include <filesystem>

namespace aime::data {

std::int64_t Episode::length() const { return arrays_.empty() ? 0 : arrays_.front().second.data.size(0); }

bool Episode::contains(const std::string& key) const {
  for (const auto& item : arrays_)
    if (item.first == key) return true;
  return false;
}

const NpyArray& Episode::at(const std::string& key) const {
  for (const auto& item : arrays_)
    if (item.first == key) return item.second;
  throw ValueError("Episode: no key '" + key + "'");
}

void Episode::set(const std::string& key, NpyArray array) {
  for (auto& item : arrays_)
    if (item.first == key) {
      item.second = std::move(array);
      return;
    }
  arrays_.emplace_back(key, std::move(array));
}

std::vector<std::string> Episode::keys() const {
  std::vector<std::string> out;
  for (const auto& item : arrays_) out.push_back(item.first);
  return out;
}

void Episode::validate(const std::string& source) const {
  if (arrays_.empty()) throw ValueError(source + ": the episode has no arrays");
  const auto& [first_key, first] = arrays_.front();
  for (const auto& [key, a] : arrays_) {
    if (!a.data.defined() || a.data.dim() < 1)
      throw ValueError(source + ": key '" + key + "' must have a time axis, got shape " +
                       (a.data.defined() ? shape_str(a.data.shape()) : std::string("(undefined)")));
    if (a.data.size(0) != first.data.size(0))
      throw ValueError(source + ": inconsistent lengths: '" + key + "' has " + std::to_string(a.data.size(0)) +
                       " steps, '" + first_key + "' has " + std::to_string(first.data.size(0)));
  }
}

Episode load_episode(const std::string& path) {
  NpzArrays arrays = read_npz(path);
  for (auto& [key, a] : arrays)
    if (a.data.dim() == 1) a.data = a.data.reshape({a.data.size(0), 1});
  Episode episode(std::move(arrays));
  episode.validate(path);
  return episode;
}

void save_episode(const std::string& path, const Episode& episode, Compression compression) {
  episode.validate(path);
  write_npz(path, episode.arrays(), compression);
}

std::vector<std::string> list_episode_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory");
  std::vector<std::pair<long long, std::string>> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".npz") continue;
    const std::string stem = entry.path().stem().string();
    if (stem.empty() || stem.size() > 18 || stem.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code type_error;
    if (!entry.is_regular_file(type_error))
      throw Error(entry.path().string() + ": named like an episode but not a regular file (a folder?); rename or remove it");
    found.emplace_back(std::stoll(stem), entry.path().string());
  }
  if (found.empty()) throw Error(dir + ": no episodes (files named <int>.npz, e.g. 0.npz)");
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

}  // namespace aime::data
