#include "nn/activation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"

namespace aime::nn {
namespace {

// Each activation at x = -1, 0, 2 against its closed form.
TEST(Activation, ValuesAtFixedPointsMatchClosedForms) {
  const Tensor x = tensor({-1, 0, 2}, {3}, kFloat64);
  auto values = [&](const std::string& name) { return make_activation(name)->forward(x).to_vector<double>(); };
  const double s1 = 1 / (1 + std::exp(1.0)), s2 = 1 / (1 + std::exp(-2.0));
  const std::vector<std::pair<std::string, std::vector<double>>> expected = {
      {"relu", {0, 0, 2}},
      {"elu", {std::exp(-1.0) - 1, 0, 2}},
      {"silu", {-s1, 0, 2 * s2}},
      {"swish", {-s1, 0, 2 * s2}},
      {"tanh", {std::tanh(-1.0), 0, std::tanh(2.0)}},
      {"sigmoid", {s1, 0.5, s2}},
      {"softplus", {std::log1p(std::exp(-1.0)), std::log(2.0), std::log1p(std::exp(2.0))}},
      {"identity", {-1, 0, 2}},
  };
  for (const auto& [name, want] : expected) {
    const auto got = values(name);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << name << " at " << i;
  }
  EXPECT_NEAR(ELU(0.5).forward(x).to_vector<double>()[0], 0.5 * (std::exp(-1.0) - 1), 1e-12);
}

TEST(Activation, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(1);
  const Tensor x = randn({8}, gen, kFloat64) + 0.01;  // off relu's kink at exactly 0
  for (const char* name : {"relu", "elu", "silu", "tanh", "sigmoid", "softplus"}) {
    auto act = make_activation(name);
    auto r = gradcheck([&](const std::vector<Tensor>& in) { return act->forward(in[0]); }, {x});
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
  }
}

TEST(Activation, UnknownNameListsTheKnownOnes) {
  try {
    make_activation("gelu");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'gelu'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("elu"), std::string::npos);
  }
  EXPECT_EQ(make_activation("elu")->repr(), "ELU(alpha=1)");
}

}  // namespace
}  // namespace aime::nn
