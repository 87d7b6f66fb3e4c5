#include "nn/optim/adam.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "autograd/api.h"
#include "nn/flat_parameters.h"

namespace aime::nn {
namespace {

// The known problem: L(w) = 1/2 sum_i a_i (w_i - t_i)^2, so dL/dw_i = a_i (w_i - t_i).
const std::vector<double> kA = {1.0, 4.0, 0.25, 9.0, 2.0, 0.5};
const std::vector<double> kT = {0.3, -1.2, 2.0, 0.0, -0.7, 1.1};

Tensor loss_of(const Tensor& w) { return 0.5 * sum(tensor(kA, {6}, kFloat64) * square(w - tensor(kT, {6}, kFloat64))); }

// torch.optim.Adam/AdamW's single-tensor update, written out in double (the reference).
std::vector<double> reference_adam(std::vector<double> w, const AdamOptions& o, bool decoupled, int steps) {
  std::vector<double> m(w.size(), 0.0), v(w.size(), 0.0), vmax(w.size(), 0.0);
  for (int t = 1; t <= steps; ++t)
    for (std::size_t i = 0; i < w.size(); ++i) {
      double g = kA[i] * (w[i] - kT[i]);
      if (o.maximize) g = -g;
      if (o.weight_decay != 0 && !decoupled) g += o.weight_decay * w[i];
      if (o.weight_decay != 0 && decoupled) w[i] *= 1 - o.lr * o.weight_decay;
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      vmax[i] = std::max(vmax[i], v[i]);
      const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
      const double denom = std::sqrt(o.amsgrad ? vmax[i] : v[i]) / std::sqrt(bc2) + o.eps;
      w[i] -= o.lr / bc1 * m[i] / denom;
    }
  return w;
}

std::vector<double> run(Optimizer& opt, Tensor w, int steps) {
  for (int t = 0; t < steps; ++t) {
    opt.zero_grad();
    loss_of(w).backward();
    opt.step();
  }
  return w.to_vector<double>();
}

const std::vector<double> kStart = {1.0, 0.5, -0.5, 0.2, 0.0, 3.0};

void expect_matches_reference(const AdamOptions& o, bool decoupled) {
  Tensor w = tensor(kStart, {6}, kFloat64).requires_grad_();
  std::unique_ptr<Optimizer> opt;
  if (decoupled)
    opt = std::make_unique<AdamW>(std::vector<Tensor>{w}, o);
  else
    opt = std::make_unique<Adam>(std::vector<Tensor>{w}, o);
  const auto got = run(*opt, w, 7);
  const auto want = reference_adam(kStart, o, decoupled, 7);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6 * std::max(1.0, std::fabs(want[i])));
  EXPECT_EQ(opt->step_count(), 7);
}

TEST(Adam, DefaultsArePyTorchs) {
  AdamOptions o;
  EXPECT_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.beta1, 0.9);
  EXPECT_EQ(o.beta2, 0.999);
  EXPECT_EQ(o.eps, 1e-8);
  EXPECT_EQ(o.weight_decay, 0.0);
  EXPECT_EQ(adamw_defaults().weight_decay, 1e-2);
}

TEST(Adam, StepsMatchTheUpdateEquations) {
  AdamOptions o;
  o.lr = 0.1;  // large enough that every step moves visibly
  expect_matches_reference(o, false);
  o.weight_decay = 0.05;
  expect_matches_reference(o, false);
  o.amsgrad = true;
  expect_matches_reference(o, false);
  o.maximize = true;
  o.amsgrad = false;
  expect_matches_reference(o, false);
}

TEST(AdamW, StepsMatchTheDecoupledUpdateEquations) {
  AdamOptions o = adamw_defaults();
  o.lr = 0.1;
  o.weight_decay = 0.3;
  expect_matches_reference(o, true);
}

}  // namespace
}  // namespace aime::nn
namespace aime::nn {
namespace {

TEST(Adam, FirstStepMovesEachWeightByLr) {
  // With m and v fresh, the first bias-corrected step is lr * g / (|g| + eps) = lr sign(g).
  Tensor w = tensor(kStart, {6}, kFloat64).requires_grad_();
  AdamOptions o;
  o.lr = 0.01;
  Adam adam({w}, o);
  run(adam, w, 1);
  const auto got = w.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = kA[i] * (kStart[i] - kT[i]);
    EXPECT_NEAR(got[i], kStart[i] - 0.01 * (g > 0 ? 1 : -1), 1e-9);
  }
}

// Two linear layers' worth of parameters, packed or not: the same numbers bit for bit.
TEST(Adam, FlatAndPerTensorPathsAgreeExactly) {
  auto make = [] {
    Generator gen(5);
    return std::vector<Tensor>{randn({3, 4}, gen).requires_grad_(), randn({3}, gen).requires_grad_(),
                               randn({2, 3}, gen).requires_grad_()};
  };
  auto loss = [](const std::vector<Tensor>& p) {
    Generator gen(6);
    const Tensor x = randn({5, 4}, gen);
    return sum(square(matmul(tanh(linear(x, p[0], p[1])), p[2].t()) - 0.5));
  };
  std::vector<Tensor> plain = make(), packed = make();
  flatten_parameters(packed);
  AdamOptions o;
  o.lr = 0.05;
  o.weight_decay = 0.1;
  AdamW a(plain, o), b(packed, o);
  for (int t = 0; t < 5; ++t) {
    a.zero_grad();
    b.zero_grad();
    loss(plain).backward();
    loss(packed).backward();
    a.step();
    b.step();
  }
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i].to_vector<float>(), packed[i].to_vector<float>());
}

TEST(Adam, SavedStateResumesExactly) {
  const std::string path = (std::filesystem::temp_directory_path() / "aime_adam_state.safetensors").string();
  AdamOptions o;
  o.lr = 0.05;
  o.amsgrad = true;
  // Straight through: 6 steps.
  Tensor w1 = tensor(kStart, {6}, kFloat64).requires_grad_();
  Adam straight({w1}, o);
  run(straight, w1, 6);
  // 3 steps, save, a fresh optimiser (with other settings) loads, 3 more.
  Tensor w2 = tensor(kStart, {6}, kFloat64).requires_grad_();
  {
    Adam first({w2}, o);
    run(first, w2, 3);
    first.save(path);
  }
  AdamOptions other = o;
  other.lr = 123.0;
  Adam resumed({w2}, other);
  resumed.load(path);
  EXPECT_EQ(resumed.step_count(), 3);
  EXPECT_EQ(resumed.lr(), 0.05);
  run(resumed, w2, 3);
  EXPECT_EQ(w1.to_vector<double>(), w2.to_vector<double>());
  EXPECT_EQ(resumed.state_dict().keys(),
            (std::vector<std::string>{"step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq"}));
  std::remove(path.c_str());
}

TEST(Adam, LoadingAMismatchedStateFailsClearly) {
  Tensor w = tensor(kStart, {6}, kFloat64).requires_grad_();
  Adam adam({w});
  run(adam, w, 1);
  Tensor other = zeros({5}, kFloat64).requires_grad_();
  Adam wrong_shape({other});
  try {
    wrong_shape.load_state_dict(adam.state_dict(), adam.metadata());
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("state.0.exp_avg: the state has [6], parameter 0 has [5]"), std::string::npos)
        << e.what();
  }
  AdamW adamw({w});
  EXPECT_THROW(adamw.load_state_dict(adam.state_dict(), adam.metadata()), ValueError);  // saved by Adam
}

TEST(Adam, StateFollowsParametersCastAfterSteps) {
  // 3 steps in float64, cast parameter and state to float32 (as Module::to does), 3 more:
  // the same as 6 steps, to float32 precision, because the moments were kept.
  Tensor w1 = tensor(kStart, {6}, kFloat64).requires_grad_();
  AdamOptions o;
  o.lr = 0.05;
  Adam straight({w1}, o);
  run(straight, w1, 6);
  Tensor w2 = tensor(kStart, {6}, kFloat64).requires_grad_();
  Adam adam({w2}, o);
  run(adam, w2, 3);
  w2.set_data(w2.detach().to(kFloat32));
  auto loss32 = [](const Tensor& w) {
    return 0.5 * sum(tensor(kA, {6}) * square(w - tensor(kT, {6})));
  };
  for (int t = 0; t < 3; ++t) {
    adam.zero_grad(true);
    loss32(w2).backward();
    adam.step();
  }
  EXPECT_EQ(adam.state_dict().at("state.0.exp_avg").dtype(), kFloat32);
  const auto a = w1.to_vector<double>(), b = w2.to_vector<double>();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
}

TEST(Adam, ConvergesOnTheQuadratic) {
  Tensor w = tensor(kStart, {6}, kFloat64).requires_grad_();
  AdamOptions o;
  o.lr = 0.05;
  Adam adam({w}, o);
  run(adam, w, 2000);
  const auto got = w.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], kT[i], 1e-3);
}

TEST(Adam, BadSettingsFail) {
  Tensor w = zeros({2}).requires_grad_();
  AdamOptions o;
  o.beta1 = 1.0;
  EXPECT_THROW(Adam({w}, o), ValueError);
  EXPECT_THROW(Adam({}), ValueError);
  EXPECT_THROW(Adam({w, zeros({2}, kFloat64).requires_grad_()}), ValueError);
}

}  // namespace
}  // namespace aime::nn
