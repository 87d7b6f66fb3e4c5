#include "nn/gru.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "nn/init.h"
#include "tests/nn/module_gradcheck.h"

namespace aime::nn {
namespace {

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// torch.nn.GRUCell's equations written out element by element (the reference).
std::vector<double> gru_reference(const std::vector<double>& x, const std::vector<double>& h,
                                  const std::vector<double>& w_ih, const std::vector<double>& w_hh,
                                  const std::vector<double>& b_ih, const std::vector<double>& b_hh, int in, int H) {
  auto row = [](const std::vector<double>& w, const std::vector<double>& v, int r, int n) {
    double s = 0;
    for (int k = 0; k < n; ++k) s += w[r * n + k] * v[k];
    return s;
  };
  std::vector<double> out(H);
  for (int j = 0; j < H; ++j) {
    const double r = sigmoid_ref(row(w_ih, x, j, in) + b_ih[j] + row(w_hh, h, j, H) + b_hh[j]);
    const double z = sigmoid_ref(row(w_ih, x, H + j, in) + b_ih[H + j] + row(w_hh, h, H + j, H) + b_hh[H + j]);
    const double n = std::tanh(row(w_ih, x, 2 * H + j, in) + b_ih[2 * H + j] + r * (row(w_hh, h, 2 * H + j, H) + b_hh[2 * H + j]));
    out[j] = (1 - z) * n + z * h[j];
  }
  return out;
}

TEST(GRUCell, MatchesTheGRUEquationsElementByElement) {
  Generator gen(1);
  const int in = 3, H = 4;
  GRUCell cell(in, H, true, gen);
  cell.to(kFloat64);
  const Tensor x = randn({2, in}, gen, kFloat64), h = randn({2, H}, gen, kFloat64);
  const Tensor y = cell(x, h);
  ASSERT_EQ(y.shape(), (Shape{2, H}));
  for (int b = 0; b < 2; ++b) {
    const auto want = gru_reference(x.select(0, b).to_vector<double>(), h.select(0, b).to_vector<double>(),
                                    cell.weight_ih.to_vector<double>(), cell.weight_hh.to_vector<double>(),
                                    cell.bias_ih.to_vector<double>(), cell.bias_hh.to_vector<double>(), in, H);
    const auto got = y.select(0, b).to_vector<double>();
    for (int j = 0; j < H; ++j) EXPECT_NEAR(got[j], want[j], 1e-12);
  }
}

TEST(GRUCell, UnbatchedInputAndZeroInitialState) {
  Generator gen(2);
  GRUCell cell(3, 5, true, gen);
  const Tensor x = randn({3}, gen);
  const Tensor y = cell(x);
  EXPECT_EQ(y.shape(), (Shape{5}));
  EXPECT_EQ(y.to_vector<float>(), cell(x, zeros({5})).to_vector<float>());
}

TEST(GRUCell, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(3);
  GRUCell cell(3, 4, true, gen);
  cell.to(kFloat64);
  const Tensor x = randn({2, 3}, gen, kFloat64), h = randn({2, 4}, gen, kFloat64);
  EXPECT_EQ(testing::check_parameter_gradients(cell, [&] { return cell(x, h); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return cell(in[0], in[1]); }, {x, h});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(GRUCell, ParameterCountsMatchTheOriginalsCells) {
  // Reference facts: GRUCell(134, 512) has 995,328 parameters (RSSM); GRUCell(512, 512) 1,575,936 (RSSMO).
  EXPECT_EQ(GRUCell(134, 512).num_parameters(), 995328);
  EXPECT_EQ(GRUCell(512, 512).num_parameters(), 1575936);
  GRUCell cell(134, 512);
  const double bound = 1.0 / std::sqrt(512.0);
  for (const auto& p : cell.parameters()) EXPECT_LE(max(abs(p)).item(), bound);
  EXPECT_EQ(cell.named_parameters()[0].first, "weight_ih");
}

TEST(GRUCell, StateShapeMismatchFailsClearly) {
  GRUCell cell(3, 4);
  try {
    cell(zeros({2, 3}), zeros({3, 4}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("state must be [2, 4]"), std::string::npos) << e.what();
  }
}

TEST(LayerNormGRUCell, MatchesDreamersEquations) {
  Generator gen(4);
  const int in = 2, H = 3;
  LayerNormGRUCell cell(in, H, -1.0, gen);
  cell.to(kFloat64);
  init::normal_(cell.norm->weight, 1.0, 0.3, gen);
  init::normal_(cell.norm->bias, 0.0, 0.3, gen);
  const Tensor x = randn({1, in}, gen, kFloat64), h = randn({1, H}, gen, kFloat64);
  // Reference: parts = LN(W [x, h]); r = s(p0); c = tanh(r p1); u = s(p2 - 1); h' = u c + (1 - u) h.
  std::vector<double> xh = x.to_vector<double>();
  for (double v : h.to_vector<double>()) xh.push_back(v);
  const auto w = cell.linear->weight.to_vector<double>();
  std::vector<double> parts(3 * H);
  double mu = 0, var = 0;
  for (int j = 0; j < 3 * H; ++j) {
    for (int k = 0; k < in + H; ++k) parts[j] += w[j * (in + H) + k] * xh[k];
    mu += parts[j] / (3 * H);
  }
  for (double p : parts) var += (p - mu) * (p - mu) / (3 * H);
  const auto g = cell.norm->weight.to_vector<double>(), b = cell.norm->bias.to_vector<double>();
  for (int j = 0; j < 3 * H; ++j) parts[j] = (parts[j] - mu) / std::sqrt(var + 1e-5) * g[j] + b[j];
  const auto got = cell(x, h).to_vector<double>();
  const auto hv = h.to_vector<double>();
  for (int j = 0; j < H; ++j) {
    const double r = sigmoid_ref(parts[j]), c = std::tanh(r * parts[H + j]), u = sigmoid_ref(parts[2 * H + j] - 1.0);
    EXPECT_NEAR(got[j], u * c + (1 - u) * hv[j], 1e-12);
  }
}

TEST(LayerNormGRUCell, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(5);
  LayerNormGRUCell cell(3, 2, -1.0, gen);
  cell.to(kFloat64);
  const Tensor x = randn({2, 3}, gen, kFloat64), h = randn({2, 2}, gen, kFloat64);
  EXPECT_EQ(testing::check_parameter_gradients(cell, [&] { return cell(x, h); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return cell(in[0], in[1]); }, {x, h});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(cell.state_dict().keys(), (std::vector<std::string>{"linear.weight", "norm.weight", "norm.bias"}));
}

}  // namespace
}  // namespace aime::nn
