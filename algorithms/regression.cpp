#include "algorithms/regression.h"

#include <algorithm>
#include <cmath>

#include "algorithms/training_step.h"
#include "autograd/api.h"

namespace aime::algorithms {

namespace {

// Fisher-Yates with Philox words from gen.
void shuffle(std::vector<std::int64_t>& v, Generator& gen) {
  if (v.size() < 2) return;
  const std::uint64_t first = gen.advance(v.size());
  for (std::size_t i = v.size() - 1; i > 0; --i) {
    const Philox4 r = philox4x32_10(gen.seed(), first + i);
    const std::uint64_t bits = (static_cast<std::uint64_t>(r.v[0]) << 32) | r.v[1];
    std::swap(v[i], v[bits % (i + 1)]);
  }
}

Batch batch_of(const data::SequenceDataset& dataset, const std::vector<std::int64_t>& indices,
                             std::size_t begin, std::size_t end) {
  std::vector<data::SequenceDataset::Window> windows;
  for (std::size_t i = begin; i < end; ++i) windows.push_back(dataset.window(indices[i]));
  return dataset.collate(windows);
}

}  // namespace

RegressionResult fit_regression(const data::SequenceDataset& dataset, const std::vector<Tensor>& params,
                                const WindowLoss& loss, const RegressionOptions& o, MetricsLog* log,
                                const EpochCallback& on_epoch) {
  if (o.batch_size < 1 || o.max_epochs < 1 || o.patience < 1 || !(o.val_fraction > 0.0 && o.val_fraction < 1.0))
    throw ValueError("fit_regression: batch_size, max_epochs and patience must be >= 1, val_fraction in (0, 1)");
  const std::int64_t n = dataset.num_windows();
  if (n < 2) throw ValueError("fit_regression: needs at least 2 windows of " + std::to_string(dataset.horizon()) +
                              " steps, the dataset has " + std::to_string(n));
  Generator gen(o.seed);
  std::vector<std::int64_t> all(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
  shuffle(all, gen);
  const auto n_val = std::clamp<std::int64_t>(std::llround(o.val_fraction * static_cast<double>(n)), 1, n - 1);
  std::vector<std::int64_t> val(all.begin(), all.begin() + n_val), train(all.begin() + n_val, all.end());
  if (o.max_val_windows > 0 && static_cast<std::int64_t>(val.size()) > o.max_val_windows)
    val.resize(static_cast<std::size_t>(o.max_val_windows));

  OptimizerGroup group{"model", params, {}, 0.0};  // no clip (the original's configs name one, its scripts never use it)
  group.adam.lr = o.lr;
  TrainingStep training({group});
  RegressionResult r;
  r.best_val_loss = INFINITY;
  std::vector<Tensor> best;
  std::int64_t bad_epochs = 0;
  const auto B = static_cast<std::size_t>(o.batch_size);
  for (std::int64_t epoch = 1; epoch <= o.max_epochs; ++epoch) {
    shuffle(train, gen);
    double train_sum = 0.0;
    std::int64_t batches = 0;
    for (std::size_t i = 0; i < train.size(); i += B) {
      const Tensor l = training.run([&] { return loss(batch_of(dataset, train, i, std::min(train.size(), i + B))); }).loss;
      train_sum += l.item();
      ++batches;
      ++r.steps;
    }
    double val_sum = 0.0;
    {
      NoGradGuard no_grad;
      for (std::size_t i = 0; i < val.size(); i += B) {
        const std::size_t end = std::min(val.size(), i + B);
        val_sum += loss(batch_of(dataset, val, i, end)).item() * static_cast<double>(end - i);
      }
    }
    const double val_loss = val_sum / static_cast<double>(val.size());
    const double train_loss = train_sum / static_cast<double>(std::max<std::int64_t>(1, batches));
    r.epochs = epoch;
    if (val_loss < r.best_val_loss) {
      r.best_val_loss = val_loss;
      r.best_epoch = epoch;
      bad_epochs = 0;
      best.clear();
      for (const Tensor& p : params) best.push_back(p.detach().clone());
    } else {
      ++bad_epochs;
    }
    if (log) log->write(r.steps, {{"epoch", static_cast<double>(epoch)}, {"train_loss", train_loss}, {"val_loss", val_loss}});
    if (on_epoch) on_epoch(epoch, r.steps, train_loss, val_loss);
    if (epoch >= o.min_epochs && r.steps >= o.min_steps && bad_epochs >= o.patience) break;
  }
  {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) Tensor(params[i]).copy_(best[i]);
  }
  return r;
}

}  // namespace aime::algorithms
