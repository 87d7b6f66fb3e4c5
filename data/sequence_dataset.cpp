#include "data/sequence_dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <list>
#include <map>
#include <mutex>
#include <optional>

#include "autograd/ops/creation.h"
#include "data/episode_file.h"

namespace aime::data {

namespace {
Shape step_shape_of(const Shape& s) { return Shape(s.begin() + 1, s.end()); }

// Bytes of an episode's arrays as held in memory.
std::uint64_t array_bytes(const Episode& e) {
  std::uint64_t total = 0;
  for (const auto& [key, a] : e.arrays()) total += static_cast<std::uint64_t>(a.data.numel()) * dtype_size(a.data.dtype());
  return total;
}

std::string bytes_str(std::uint64_t b) {
  char buf[64];
  if (b >= (std::uint64_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1 << 30));
  else if (b >= (std::uint64_t(1) << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / (1 << 10));
  return buf;
}

// Refuses a NaN or an infinity in a float array, naming the file, the key, the element and
// the step (rows of t hold steps first_step, first_step + 1, ...).
void check_finite_array(const Tensor& t, const std::string& name, const std::string& key, std::int64_t first_step) {
  if (!is_floating(t.dtype())) return;
  const std::int64_t n = t.numel(), per_step = t.dim() > 0 && t.size(0) > 0 ? n / t.size(0) : 1;
  for (std::int64_t j = 0; j < n; ++j) {
    const double v = t.dtype() == kFloat32 ? t.data<float>()[j] : t.data<double>()[j];
    if (!std::isfinite(v)) {
      const std::int64_t element = first_step * per_step + j;
      throw ValueError(name + ": key '" + key + "' holds " + std::to_string(v) + " at element " + std::to_string(element) +
                       " (step " + std::to_string(element / per_step) +
                       "); refused (SequenceDatasetOptions::allow_non_finite, --allow-non-finite, lets it through)");
    }
  }
}
}  // namespace

std::uint64_t default_memory_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::uint64_t(1) << 30;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2;
}

// The on-demand path's decompressed arrays, least recently used first out.
struct SequenceDataset::Cache {
  using Slot = std::pair<std::int64_t, std::size_t>;  // (episode, key index)
  std::mutex mutex;
  std::list<Slot> order;  // most recent first
  std::map<Slot, std::pair<Tensor, std::list<Slot>::iterator>> arrays;
  std::uint64_t bytes = 0;
};

SequenceDataset::~SequenceDataset() = default;
SequenceDataset::SequenceDataset(SequenceDataset&&) noexcept = default;
SequenceDataset& SequenceDataset::operator=(SequenceDataset&&) noexcept = default;

SequenceDataset::SequenceDataset(const std::string& dir, const SequenceDatasetOptions& options)
    : options_(options), where_(dir) {
  if (options_.max_episodes < 0)
    throw ValueError(dir + ": max_episodes must be >= 0, got " + std::to_string(options_.max_episodes));
  auto paths = list_episode_files(dir);
  if (options_.max_episodes > 0 && options_.max_episodes < static_cast<std::int64_t>(paths.size()))
    paths.resize(static_cast<std::size_t>(options_.max_episodes));
  std::vector<EpisodeFile> files;
  std::uint64_t total = 0;
  for (const auto& path : paths) {
    files.emplace_back(path);
    names_.push_back(path);
    lengths_.push_back(files.back().length());
    total += files.back().decoded_bytes(options_.keys);
  }
  if (options_.memory_budget == 0) options_.memory_budget = default_memory_budget();
  decoded_bytes_ = total;
  if (total <= options_.memory_budget) {
    for (const auto& f : files) episodes_.push_back(f.load(options_.keys));
  } else {
    files_ = std::move(files);
    cache_ = std::make_unique<Cache>();
  }
  index();
  check_finite();
}

SequenceDataset::SequenceDataset(std::vector<Episode> episodes, std::vector<std::string> names,
                                 const SequenceDatasetOptions& options)
    : options_(options), episodes_(std::move(episodes)), names_(std::move(names)) {
  if (names_.size() != episodes_.size()) names_.resize(episodes_.size(), "(episode)");
  if (names_.size() == 1 && names_[0] != "(episode)") where_ = names_[0];  // one file: errors name it
  if (options_.max_episodes > 0 && options_.max_episodes < num_episodes()) {
    episodes_.resize(static_cast<std::size_t>(options_.max_episodes));
    names_.resize(episodes_.size());
  }
  for (std::size_t i = 0; i < episodes_.size(); ++i) {
    episodes_[i].validate(names_[i]);
    lengths_.push_back(episodes_[i].length());
    decoded_bytes_ += array_bytes(episodes_[i]);
  }
  index();
  check_finite();
}

SequenceDataset index_first_episode(const std::string& dir) {
  SequenceDatasetOptions o;
  o.horizon = 1;
  o.max_episodes = 1;
  o.memory_budget = 1;  // never loaded: headers only
  return SequenceDataset(dir, o);
}

std::string SequenceDataset::memory_summary() const {
  if (resident()) return "in memory, " + bytes_str(decoded_bytes_);
  return "read per batch: " + bytes_str(decoded_bytes_) + " decoded over a budget of " + bytes_str(options_.memory_budget);
}

void SequenceDataset::check_finite() const {
  if (options_.allow_non_finite || !resident()) return;  // on demand: each read is checked
  for (std::size_t i = 0; i < episodes_.size(); ++i)
    for (const auto& key : keys_) check_finite_array(episodes_[i].at(key).data, names_[i], key, 0);
}

void SequenceDataset::keep(std::int64_t n) {
  if (n < 1) throw ValueError("SequenceDataset::keep: n must be >= 1, got " + std::to_string(n));
  if (n < num_episodes()) {
    const auto k = static_cast<std::size_t>(n);
    if (resident()) episodes_.resize(k);
    else files_.erase(files_.begin() + n, files_.end());
    names_.resize(k);
    lengths_.resize(k);
    if (cache_) {
      std::lock_guard<std::mutex> lock(cache_->mutex);
      for (auto it = cache_->arrays.begin(); it != cache_->arrays.end();) {
        if (it->first.first < n) {
          ++it;
          continue;
        }
        cache_->bytes -= static_cast<std::uint64_t>(it->second.first.numel()) * dtype_size(it->second.first.dtype());
        cache_->order.erase(it->second.second);
        it = cache_->arrays.erase(it);
      }
    }
    decoded_bytes_ = 0;
    for (const auto& f : files_) decoded_bytes_ += f.decoded_bytes(options_.keys);
    for (const auto& e : episodes_) decoded_bytes_ += array_bytes(e);
    index();
  }
}

void SequenceDataset::index() {
  if (options_.horizon < 1) throw ValueError(where_ + ": horizon must be >= 1, got " + std::to_string(options_.horizon));
  if (names_.empty()) throw ValueError(where_ + ": no episodes");
  // The per-step shape of a key in episode i, or nullopt when the episode lacks it.
  auto shape_of = [&](std::size_t i, const std::string& key) -> std::optional<Shape> {
    if (resident()) {
      if (!episodes_[i].contains(key)) return std::nullopt;
      return step_shape_of(episodes_[i].at(key).data.shape());
    }
    const EpisodeFile::Key* k = files_[i].find(key);
    if (!k) return std::nullopt;
    return k->step_shape();
  };
  if (!options_.keys.empty()) {
    keys_ = options_.keys;
  } else {
    keys_.clear();
    if (resident()) keys_ = episodes_[0].keys();
    else
      for (const auto& k : files_[0].keys()) keys_.push_back(k.name);
  }
  step_shapes_.clear();
  for (const auto& key : keys_) {
    const auto ref = shape_of(0, key);
    if (!ref) throw ValueError(names_[0] + ": key '" + key + "' is missing");
    for (std::size_t i = 1; i < names_.size(); ++i) {
      const auto s = shape_of(i, key);
      if (!s) throw ValueError(names_[i] + ": key '" + key + "' is missing (present in " + names_[0] + ")");
      if (*s != *ref)
        throw ValueError(names_[i] + ": key '" + key + "' has per-step shape " + shape_str(*s) + ", " + names_[0] +
                         " has " + shape_str(*ref));
    }
    step_shapes_.push_back(*ref);
  }
  window_offsets_.clear();
  std::int64_t total = 0;
  for (const std::int64_t len : lengths_) {
    const std::int64_t h = options_.horizon;
    if (len >= h) total += options_.overlap ? len - h + 1 : len / h;
    window_offsets_.push_back(total);
  }
  if (total == 0)
    throw ValueError(where_ + ": no episode is as long as the horizon " + std::to_string(options_.horizon) +
                     " (the longest has " + std::to_string(*std::max_element(lengths_.begin(), lengths_.end())) +
                     " steps): use shorter windows or longer episodes");
}

Episode SequenceDataset::episode(std::int64_t i) const {
  if (i < 0 || i >= num_episodes())
    throw ValueError("SequenceDataset::episode: index " + std::to_string(i) + " outside [0, " +
                     std::to_string(num_episodes()) + ")");
  if (resident()) return episodes_[static_cast<std::size_t>(i)];
  return files_[static_cast<std::size_t>(i)].load(options_.keys);
}

Shape SequenceDataset::step_shape(const std::string& key) const {
  for (std::size_t k = 0; k < keys_.size(); ++k)
    if (keys_[k] == key) return step_shapes_[k];
  throw ValueError(names_[0] + ": the dataset has no key '" + key + "'");
}

std::uint64_t SequenceDataset::memory_in_use() const {
  if (cache_) {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    return cache_->bytes;
  }
  return decoded_bytes_;  // resident: every array held
}

std::pair<Tensor, std::int64_t> SequenceDataset::source(std::int64_t e, std::size_t k, std::int64_t start) const {
  const auto ei = static_cast<std::size_t>(e);
  const std::string& key = keys_[k];
  if (resident()) return {episodes_.at(ei).at(key).data, 0};
  const EpisodeFile& file = files_.at(ei);
  const EpisodeFile::Key& entry = file.at(key);
  if (entry.by_rows) {  // straight from the file: just the window's rows
    Tensor rows = file.read_rows(entry, start, options_.horizon);
    if (!options_.allow_non_finite) check_finite_array(rows, names_[ei], key, start);
    return {rows, start};
  }
  std::lock_guard<std::mutex> lock(cache_->mutex);
  const Cache::Slot slot{e, k};
  if (auto it = cache_->arrays.find(slot); it != cache_->arrays.end()) {
    cache_->order.splice(cache_->order.begin(), cache_->order, it->second.second);
    return {it->second.first, 0};
  }
  const std::uint64_t need = entry.decoded_bytes();
  if (need > options_.memory_budget)
    throw ValueError(names_[ei] + ": key '" + key + "' is compressed and decodes to " + bytes_str(need) +
                     ", more than the dataset's memory budget of " + bytes_str(options_.memory_budget) +
                     " (raise it with --dataset-memory, or store the episode uncompressed so windows are read by rows)");
  while (!cache_->order.empty() && cache_->bytes + need > options_.memory_budget) {
    auto victim = cache_->arrays.find(cache_->order.back());
    cache_->bytes -= static_cast<std::uint64_t>(victim->second.first.numel()) * dtype_size(victim->second.first.dtype());
    cache_->arrays.erase(victim);
    cache_->order.pop_back();
  }
  Tensor whole = file.read(entry).data;
  if (!options_.allow_non_finite) check_finite_array(whole, names_[ei], key, 0);
  cache_->order.push_front(slot);
  cache_->arrays.emplace(slot, std::make_pair(whole, cache_->order.begin()));
  cache_->bytes += need;
  return {whole, 0};
}

SequenceDataset::Window SequenceDataset::window(std::int64_t i) const {
  if (i < 0 || i >= num_windows())
    throw ValueError("SequenceDataset::window: index " + std::to_string(i) + " outside [0, " +
                     std::to_string(num_windows()) + ")");
  const auto it = std::upper_bound(window_offsets_.begin(), window_offsets_.end(), i);
  const auto e = static_cast<std::int64_t>(it - window_offsets_.begin());
  const std::int64_t first = e == 0 ? 0 : window_offsets_[static_cast<std::size_t>(e - 1)];
  const std::int64_t k = i - first;
  return {e, options_.overlap ? k : k * options_.horizon};
}

namespace {
// Element j of a contiguous CPU tensor of any dtype, as float.
template <class T> float as_float(const void* base, std::int64_t j) { return static_cast<float>(static_cast<const T*>(base)[j]); }

float read(const Tensor& t, std::int64_t j) {
  switch (t.dtype()) {
    case DType::Float32: return as_float<float>(t.data_ptr(), j);
    case DType::Float64: return as_float<double>(t.data_ptr(), j);
    case DType::UInt8: return as_float<std::uint8_t>(t.data_ptr(), j);
    case DType::Int64: return as_float<std::int64_t>(t.data_ptr(), j);
  }
  return 0.0f;
}
}  // namespace

Batch SequenceDataset::collate(const std::vector<Window>& windows) const {
  const auto B = static_cast<std::int64_t>(windows.size());
  const std::int64_t T = options_.horizon;
  if (B == 0) throw ValueError("SequenceDataset::collate: no windows");
  Batch batch;
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    const std::string& key = keys_[k];
    const Shape& step = step_shapes_[k];
    const std::int64_t per_step = numel_of(step);
    const bool image = step.size() == 3;  // [H, W, C] per step
    Shape out_shape{T, B};
    if (image)
      out_shape.insert(out_shape.end(), {step[2], step[0], step[1]});
    else
      out_shape.insert(out_shape.end(), step.begin(), step.end());
    Tensor out = Tensor::empty(out_shape, kFloat32);
    float* dst = out.data<float>();
    for (std::int64_t b = 0; b < B; ++b) {
      const Window& w = windows[static_cast<std::size_t>(b)];
      const auto [src, first_step] = source(w.episode, k, w.start);
      for (std::int64_t t = 0; t < T; ++t) {
        const std::int64_t from = (w.start - first_step + t) * per_step;
        float* row = dst + (t * B + b) * per_step;
        if (image) {
          const std::int64_t H = step[0], W = step[1], C = step[2];
          if (src.dtype() == kUInt8) {  // the common case, without the per-element dispatch
            const std::uint8_t* s = src.data<std::uint8_t>() + from;
            for (std::int64_t c = 0; c < C; ++c)
              for (std::int64_t p = 0; p < H * W; ++p) row[c * H * W + p] = s[p * C + c] * (1.0f / 255.0f);
          } else {
            for (std::int64_t c = 0; c < C; ++c)
              for (std::int64_t p = 0; p < H * W; ++p) row[c * H * W + p] = read(src, from + p * C + c) / 255.0f;
          }
        } else {
          for (std::int64_t j = 0; j < per_step; ++j) row[j] = read(src, from + j);
        }
      }
    }
    batch.set(key, out);
  }
  return batch;
}

}  // namespace aime::data
