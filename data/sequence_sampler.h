// SequenceSampler: batches of B windows drawn uniformly with replacement from a
// SequenceDataset (the original's RandomSampler(replacement=True)), collated time-major and
// moved to a device. Seeded: the k-th batch depends only on the seed. With prefetch, a
// background thread draws and collates the next batch while the caller trains on the
// current one, so the trainer does not wait on memory copies and conversions.
//
//   data::SequenceSampler sampler(dataset, 50, seed);
//   Batch batch = sampler.next();        // batch.at("image"): [50, 50, 3, 64, 64] in [0, 1]
#pragma once
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "autograd/device.h"
#include "autograd/generator.h"
#include "data/sequence_dataset.h"

namespace aime::data {

class SequenceSampler {
 public:
  // The dataset must outlive the sampler. `start_batch` skips that many batches' draws, so a
  // resumed run continues the exact sequence of an uninterrupted one. `rows` (a data-parallel
  // rank's share, distributed/batch_shard.h): each batch draws all batch_size windows as one
  // process does and collates only windows [rows.begin, rows.end); rows.total must be
  // batch_size. Only those windows' frames are read and copied.
  SequenceSampler(const SequenceDataset& dataset, std::int64_t batch_size, std::uint64_t seed,
                  Device device = Device::cpu(), bool prefetch = true, std::int64_t start_batch = 0,
                  Generator::Rows rows = {});
  ~SequenceSampler();
  SequenceSampler(const SequenceSampler&) = delete;
  SequenceSampler& operator=(const SequenceSampler&) = delete;

  // The next batch (rethrows any error of the background thread).
  Batch next();
  // The windows of the batch next() returned last.
  const std::vector<SequenceDataset::Window>& last_windows() const { return last_windows_; }

 private:
  std::vector<std::int64_t> draw_indices();
  struct Item {
    Batch batch;
    std::vector<SequenceDataset::Window> windows;
  };
  Item produce();
  void run();

  const SequenceDataset& dataset_;
  const std::int64_t batch_size_;
  const Device device_;
  Generator::Rows rows_;  // total 0: every window
  Generator gen_;
  std::vector<SequenceDataset::Window> last_windows_;
  // Prefetch: a queue of one batch between the producer thread and next().
  bool prefetch_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Item> ready_;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace aime::data
