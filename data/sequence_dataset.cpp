#include "data/sequence_dataset.h"

#include <cmath>

#include <algorithm>

#include "autograd/ops/creation.h"

namespace aime::data {

namespace {
Shape step_shape(const Tensor& t) { return Shape(t.shape().begin() + 1, t.shape().end()); }
}  // namespace

SequenceDataset::SequenceDataset(const std::string& dir, const SequenceDatasetOptions& options) : options_(options) {
  for (const auto& path : list_episode_files(dir)) {
    episodes_.push_back(load_episode(path));
    names_.push_back(path);
  }
  index();
  check_finite();
}

SequenceDataset::SequenceDataset(std::vector<Episode> episodes, std::vector<std::string> names,
                                 const SequenceDatasetOptions& options)
    : options_(options), episodes_(std::move(episodes)), names_(std::move(names)) {
  if (names_.size() != episodes_.size()) names_.resize(episodes_.size(), "(episode)");
  for (std::size_t i = 0; i < episodes_.size(); ++i) episodes_[i].validate(names_[i]);
  index();
  check_finite();
}

void SequenceDataset::check_finite() const {
  if (options_.allow_non_finite) return;
  for (std::size_t i = 0; i < episodes_.size(); ++i)
    for (const auto& key : keys_) {
      const Tensor& t = episodes_[i].at(key).data;
      if (!is_floating(t.dtype())) continue;
      const std::int64_t n = t.numel(), per_step = t.dim() > 0 && t.size(0) > 0 ? n / t.size(0) : 1;
      for (std::int64_t j = 0; j < n; ++j) {
        const double v = t.dtype() == kFloat32 ? t.data<float>()[j] : t.data<double>()[j];
        if (!std::isfinite(v))
          throw ValueError(names_[i] + ": key '" + key + "' holds " + std::to_string(v) + " at element " +
                           std::to_string(j) + " (step " + std::to_string(j / per_step) +
                           "); refused (SequenceDatasetOptions::allow_non_finite, --allow-non-finite, lets it through)");
      }
    }
}

void SequenceDataset::keep(std::int64_t n) {
  if (n < 1) throw ValueError("SequenceDataset::keep: n must be >= 1, got " + std::to_string(n));
  if (n < num_episodes()) {
    episodes_.resize(static_cast<std::size_t>(n));
    names_.resize(static_cast<std::size_t>(n));
    index();
  }
}

void SequenceDataset::index() {
  if (options_.horizon < 1) throw ValueError("SequenceDataset: horizon must be >= 1, got " + std::to_string(options_.horizon));
  if (episodes_.empty()) throw ValueError("SequenceDataset: no episodes");
  keys_ = options_.keys.empty() ? episodes_[0].keys() : options_.keys;
  for (const auto& key : keys_) {
    if (!episodes_[0].contains(key)) throw ValueError(names_[0] + ": key '" + key + "' is missing");
    const NpyArray& ref = episodes_[0].at(key);
    for (std::size_t i = 1; i < episodes_.size(); ++i) {
      if (!episodes_[i].contains(key))
        throw ValueError(names_[i] + ": key '" + key + "' is missing (present in " + names_[0] + ")");
      const NpyArray& a = episodes_[i].at(key);
      if (step_shape(a.data) != step_shape(ref.data))
        throw ValueError(names_[i] + ": key '" + key + "' has per-step shape " + shape_str(step_shape(a.data)) + ", " +
                         names_[0] + " has " + shape_str(step_shape(ref.data)));
    }
  }
  window_offsets_.clear();
  std::int64_t total = 0;
  for (const auto& e : episodes_) {
    const std::int64_t len = e.length(), h = options_.horizon;
    if (len >= h) total += options_.overlap ? len - h + 1 : len / h;
    window_offsets_.push_back(total);
  }
  if (total == 0)
    throw ValueError("SequenceDataset: no episode is as long as the horizon " + std::to_string(options_.horizon));
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
  for (const auto& key : keys_) {
    const Shape step = step_shape(episodes_[0].at(key).data);
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
      const Tensor& src = episodes_.at(static_cast<std::size_t>(w.episode)).at(key).data;
      for (std::int64_t t = 0; t < T; ++t) {
        const std::int64_t from = (w.start + t) * per_step;
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
