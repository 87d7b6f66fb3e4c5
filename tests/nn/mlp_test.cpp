#include "nn/mlp.h"

#include <gtest/gtest.h>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "nn/linear.h"
#include "tests/nn/module_gradcheck.h"

namespace aime::nn {
namespace {

TEST(MLP, LayersAndNamesFollowTheOriginalsBuilder) {
  MLP mlp(mlp_options(10, 4, 16, 2, true, "silu", "identity", true));
  // [Linear, LayerNorm, SiLU] x 2, Linear
  EXPECT_EQ(mlp.size(), 7u);
  EXPECT_EQ(mlp.state_dict().keys(),
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "4.weight",
                                      "4.bias", "6.weight", "6.bias"}));
  EXPECT_EQ(mlp.output_size, 4);
}

TEST(MLP, ParameterCountsMatchTheOriginalsNetworks) {
  // Reference facts (cheetah RSSMO): pre_memory MLP(30 + 6 -> 512, 1 hidden, LN, SiLU, no head)
  // has 19,968 parameters; prior_net MLP(512 -> 512 [LN, SiLU] -> 60) has 294,460.
  EXPECT_EQ(MLP(mlp_options(36, 0, 512, 1, true, "silu", "identity", false)).num_parameters(), 19968);
  EXPECT_EQ(MLP(mlp_options(512, 60, 512, 1, true, "silu", "identity", true)).num_parameters(), 294460);
  EXPECT_EQ(MLP(mlp_options(36, 0, 512, 1, true, "silu", "identity", false)).output_size, 512);
}

TEST(MLP, FlattensLeadingDimsAndRestoresThem) {
  Generator gen(1);
  MLP mlp(mlp_options(3, 2, 8, 2, false, "elu", "identity", true), gen);
  const Tensor x = randn({4, 5, 3}, gen);
  const Tensor y = mlp(x);
  EXPECT_EQ(y.shape(), (Shape{4, 5, 2}));
  EXPECT_NEAR(max(abs(mlp(x.reshape({20, 3})).reshape({4, 5, 2}) - y)).item(), 0.0, 0.0);
}

TEST(MLP, ForwardIsTheCompositionOfItsLayers) {
  Generator gen(2);
  MLP mlp(mlp_options(3, 2, 4, 1, false, "tanh", "identity", true), gen);
  const Tensor x = randn({2, 3}, gen);
  auto* l0 = dynamic_cast<Linear*>(mlp[0].get());
  auto* l2 = dynamic_cast<Linear*>(mlp[2].get());
  ASSERT_TRUE(l0 && l2);
  const Tensor want = linear(tanh(linear(x, l0->weight, l0->bias)), l2->weight, l2->bias);
  EXPECT_EQ(mlp(x).to_vector<float>(), want.to_vector<float>());
}

TEST(MLP, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(3);
  MLP mlp(mlp_options(3, 2, 4, 2, true, "elu", "identity", true), gen);
  mlp.to(kFloat64);
  const Tensor x = randn({3, 3}, gen, kFloat64);
  EXPECT_EQ(testing::check_parameter_gradients(mlp, [&] { return mlp(x); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return mlp(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(MLP, BadOptionsAndInputsFailClearly) {
  EXPECT_THROW(MLP(mlp_options(0, 2, 4, 1, false, "elu", "identity", true)), ValueError);
  EXPECT_THROW(MLP(mlp_options(3, 2, 4, 0, false, "elu", "identity", false)), ValueError);  // nothing left
  EXPECT_THROW(MLP(mlp_options(3, 2, 4, 1, false, "gelu", "identity", true)), ValueError);
  MLP mlp(mlp_options(3, 2, 4, 1, false, "elu", "identity", true));
  EXPECT_THROW(mlp(zeros({2, 4})), ShapeError);
}

TEST(Sequential, ChainsAndPrintsLikePyTorch) {
  Sequential seq;
  seq.push_back(std::make_shared<Linear>(2, 3)).push_back(std::make_shared<Linear>(3, 1, false));
  EXPECT_EQ(seq(zeros({5, 2})).shape(), (Shape{5, 1}));
  EXPECT_EQ(seq.repr(),
            "Sequential(\n"
            "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
            "  (1): Linear(in_features=3, out_features=1, bias=False)\n"
            ")");
}

}  // namespace
}  // namespace aime::nn
