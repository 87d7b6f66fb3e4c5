#include "algorithms/regression.h"

#include <gtest/gtest.h>

#include "autograd/api.h"

namespace aime::algorithms {
namespace {

// Episodes of a vector sensor x [T, 2] with y = 0.5 x0 - x1 + 0.2 (plus noise): windows of
// one step, the model a linear map fitted by fit_regression.
data::SequenceDataset linear_data(std::int64_t episodes, double noise_scale) {
  Generator gen(5);
  std::vector<data::Episode> eps;
  std::vector<std::string> names;
  for (std::int64_t e = 0; e < episodes; ++e) {
    const Tensor x = randn({20, 2}, gen);
    const Tensor y = (x.narrow(1, 0, 1) * 0.5 - x.narrow(1, 1, 1) + 0.2 + randn({20, 1}, gen) * noise_scale).contiguous();
    data::Episode ep;
    ep.set("x", x);
    ep.set("y", y);
    eps.push_back(ep);
    names.push_back(std::to_string(e) + ".npz");
  }
  data::SequenceDatasetOptions o;
  o.horizon = 1;
  return data::SequenceDataset(std::move(eps), names, o);
}

struct Linear {
  Tensor w = zeros({2, 1}).requires_grad_(), b = zeros({1}).requires_grad_();
  Tensor loss(const Batch& batch) const {
    const Tensor x = batch.at("x").select(0, 0), y = batch.at("y").select(0, 0);
    return mean(square(matmul(x, w) + b - y));
  }
};

TEST(FitRegression, FitsALinearMapAndEndsAtTheBestValidationEpoch) {
  const auto data = linear_data(10, 0.01);
  Linear m;
  RegressionOptions o;
  o.min_epochs = 5;
  o.max_epochs = 200;
  o.batch_size = 16;
  o.lr = 0.05;
  std::vector<double> val;
  const RegressionResult r = fit_regression(data, {m.w, m.b}, [&](const Batch& b) { return m.loss(b); }, o,
                                            nullptr, [&](std::int64_t, std::int64_t, double, double v) { val.push_back(v); });
  const auto w = m.w.to_vector<float>();
  EXPECT_NEAR(w[0], 0.5, 0.02);
  EXPECT_NEAR(w[1], -1.0, 0.02);
  EXPECT_NEAR(m.b.item(), 0.2, 0.02);
  ASSERT_EQ(static_cast<std::int64_t>(val.size()), r.epochs);
  EXPECT_LT(r.epochs, o.max_epochs) << "early stopping never fired";
  EXPECT_EQ(r.epochs - r.best_epoch, o.patience);  // stopped after `patience` epochs without improvement
  EXPECT_DOUBLE_EQ(r.best_val_loss, *std::min_element(val.begin(), val.end()));
  EXPECT_EQ(r.steps, r.epochs * 9);  // 140 train windows in batches of 16
}

TEST(FitRegression, RespectsMinimumEpochsAndStepsAndIsReproducible) {
  const auto data = linear_data(4, 0.5);
  auto run = [&](std::int64_t min_steps) {
    Linear m;
    RegressionOptions o;
    o.min_epochs = 3;
    o.min_steps = min_steps;
    o.patience = 1;
    o.seed = 3;
    const RegressionResult r = fit_regression(data, {m.w, m.b}, [&](const Batch& b) { return m.loss(b); }, o);
    return std::make_pair(r, m.w.to_vector<float>());
  };
  const auto [a, wa] = run(0);
  const auto [b, wb] = run(0);
  EXPECT_EQ(wa, wb);
  EXPECT_GE(a.epochs, 3);
  const auto [c, wc] = run(200);
  EXPECT_GE(c.steps, 200);
}

TEST(FitRegression, RejectsBadOptionsAndTooFewWindows) {
  Linear m;
  auto loss = [&](const Batch& b) { return m.loss(b); };
  RegressionOptions o;
  o.val_fraction = 1.0;
  EXPECT_THROW(fit_regression(linear_data(1, 0.0), {m.w}, loss, o), ValueError);
  o = {};
  o.batch_size = 0;
  EXPECT_THROW(fit_regression(linear_data(1, 0.0), {m.w}, loss, o), ValueError);
}

}  // namespace
}  // namespace aime::algorithms
