#include "data/sequence_sampler.h"

namespace aime::data {

SequenceSampler::SequenceSampler(const SequenceDataset& dataset, std::int64_t batch_size, std::uint64_t seed,
                                 Device device, bool prefetch, std::int64_t start_batch, Generator::Rows rows)
    : dataset_(dataset), batch_size_(batch_size), device_(device), rows_(rows), gen_(seed), prefetch_(prefetch) {
  if (batch_size < 1) throw ValueError("SequenceSampler: batch_size must be >= 1, got " + std::to_string(batch_size));
  if (start_batch < 0) throw ValueError("SequenceSampler: start_batch must be >= 0");
  if (rows.total != 0 && (rows.total != batch_size || rows.begin < 0 || rows.begin >= rows.end || rows.end > batch_size))
    throw ValueError("SequenceSampler: rows [" + std::to_string(rows.begin) + ", " + std::to_string(rows.end) + ") of " +
                     std::to_string(rows.total) + " are not a share of a batch of " + std::to_string(batch_size));
  if (rows.total != 0) batch_size = rows.end - rows.begin;  // what this process collates and holds
  // Refused before anything is drawn: a batch larger than the machine's memory would
  // otherwise fail deep inside an allocation, naming nothing.
  std::uint64_t values = 0;
  for (const auto& key : dataset.keys()) values += static_cast<std::uint64_t>(numel_of(dataset.step_shape(key)));
  const double bytes = static_cast<double>(batch_size) * static_cast<double>(dataset.horizon()) *
                       static_cast<double>(values) * 4.0;
  const double ram = static_cast<double>(default_memory_budget()) * 2.0;
  if (bytes > ram)
    throw ValueError("batch size " + std::to_string(batch_size) + " (--batch-size): a batch of " +
                     std::to_string(batch_size) + " windows x " + std::to_string(dataset.horizon()) + " steps x " +
                     std::to_string(values) + " values takes " + std::to_string(static_cast<long long>(bytes / (1 << 20))) +
                     " MiB as float32, more than this machine's " + std::to_string(static_cast<long long>(ram / (1 << 20))) +
                     " MiB of memory, before the model's activations");
  gen_.set_offset(static_cast<std::uint64_t>(start_batch * batch_size_));  // each batch draws batch_size blocks
  if (prefetch_) worker_ = std::thread([this] { run(); });
}

SequenceSampler::~SequenceSampler() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

// Uniform integers in [0, N): 64 random bits from one Philox block, reduced mod N (the
// bias, N / 2^64, is far below anything a test or a training run could see).
std::vector<std::int64_t> SequenceSampler::draw_indices() {
  const auto n = static_cast<std::uint64_t>(dataset_.num_windows());
  std::vector<std::int64_t> out;
  const std::uint64_t first = gen_.advance(static_cast<std::uint64_t>(batch_size_));
  for (std::int64_t b = 0; b < batch_size_; ++b) {
    const Philox4 r = philox4x32_10(gen_.seed(), first + static_cast<std::uint64_t>(b));
    const std::uint64_t bits = (static_cast<std::uint64_t>(r.v[0]) << 32) | r.v[1];
    out.push_back(static_cast<std::int64_t>(bits % n));
  }
  return out;
}

SequenceSampler::Item SequenceSampler::produce() {
  Item item;
  const std::vector<std::int64_t> indices = draw_indices();
  const std::int64_t begin = rows_.total ? rows_.begin : 0, end = rows_.total ? rows_.end : batch_size_;
  for (std::int64_t b = begin; b < end; ++b) item.windows.push_back(dataset_.window(indices[static_cast<std::size_t>(b)]));
  item.batch = dataset_.collate(item.windows);
  return item;
}

void SequenceSampler::run() {
  while (true) {
    Item item;
    try {
      item = produce();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      cv_.notify_all();
      return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return stop_ || !ready_.has_value(); });
    if (stop_) return;
    ready_ = std::move(item);
    cv_.notify_all();
  }
}

Batch SequenceSampler::next() {
  Item item;
  if (!prefetch_) {
    item = produce();
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return ready_.has_value() || error_ != nullptr; });
    if (!ready_.has_value()) std::rethrow_exception(error_);
    item = std::move(*ready_);
    ready_.reset();
    cv_.notify_all();
  }
  last_windows_ = std::move(item.windows);
  if (device_.is_cpu()) return item.batch;
  Batch moved;
  for (const auto& [key, t] : item.batch) moved.set(key, t.to(device_));
  return moved;
}

}  // namespace aime::data
