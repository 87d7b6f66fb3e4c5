#include "nn/conv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "tests/nn/module_gradcheck.h"

namespace aime::nn {
namespace {

TEST(Conv2d, ForwardMatchesHandComputation) {
  Conv2d conv(1, 1, 2);
  conv.weight.detach().copy_(tensor({1, 0, 0, -1}, {1, 1, 2, 2}));
  conv.bias.detach().fill_(0.5);
  // x = [[1 2 3] [4 5 6] [7 8 9]]; y[i][j] = x[i][j] - x[i+1][j+1] + 0.5 = -4 + 0.5
  const Tensor y = conv(arange(1, 10, 1, kFloat32).reshape({1, 1, 3, 3}));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>(4, -3.5f)));
}

TEST(Conv2d, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(1);
  Conv2d conv(2, 3, 3, 2, 1, true, gen);
  conv.to(kFloat64);
  const Tensor x = randn({2, 2, 5, 5}, gen, kFloat64);
  EXPECT_EQ(testing::check_parameter_gradients(conv, [&] { return conv(x); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return conv(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ConvTranspose2d, GradientsMatchFiniteDifferencesInFloat64) {
  Generator gen(2);
  ConvTranspose2d deconv(3, 2, 3, 2, 1, 1, true, gen);
  deconv.to(kFloat64);
  const Tensor x = randn({2, 3, 3, 3}, gen, kFloat64);
  EXPECT_EQ(deconv(x).shape(), (Shape{2, 2, 6, 6}));  // (3 - 1) 2 - 2 + 3 + 1
  EXPECT_EQ(testing::check_parameter_gradients(deconv, [&] { return deconv(x); }), "");
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return deconv(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ConvTranspose2d, InitBoundUsesPyTorchsFanInOfTheTransposedWeight) {
  Generator gen(3);
  ConvTranspose2d deconv(64, 32, 6, 2, 0, 0, true, gen);
  const double bound = 1.0 / std::sqrt(32.0 * 36.0);  // fan_in read as out_channels * k * k
  EXPECT_LE(max(abs(deconv.weight)).item(), bound);
  EXPECT_GT(max(abs(deconv.weight)).item(), 0.99 * bound);
  EXPECT_LE(max(abs(deconv.bias)).item(), bound);
}

// The original's cnn_ha encoder and decoder (docs/original.md §2): spatial sizes
// and parameter counts (encoder 690,144; decoder with a 542-d feature 4,115,043).
TEST(Conv, CnnHaGeometryAndParameterCountsMatchTheOriginal) {
  Sequential encoder({std::make_shared<Conv2d>(3, 32, 4, 2), std::make_shared<ReLU>(),
                      std::make_shared<Conv2d>(32, 64, 4, 2), std::make_shared<ReLU>(),
                      std::make_shared<Conv2d>(64, 128, 4, 2), std::make_shared<ReLU>(),
                      std::make_shared<Conv2d>(128, 256, 4, 2)});
  EXPECT_EQ(encoder.num_parameters(), 690144);
  EXPECT_EQ(encoder(zeros({1, 3, 64, 64})).shape(), (Shape{1, 256, 2, 2}));

  Linear fc(542, 1024);
  Sequential decoder({std::make_shared<ConvTranspose2d>(1024, 128, 5, 2), std::make_shared<ReLU>(),
                      std::make_shared<ConvTranspose2d>(128, 64, 5, 2), std::make_shared<ReLU>(),
                      std::make_shared<ConvTranspose2d>(64, 32, 6, 2), std::make_shared<ReLU>(),
                      std::make_shared<ConvTranspose2d>(32, 3, 6, 2)});
  EXPECT_EQ(fc.num_parameters() + decoder.num_parameters(), 4115043);
  EXPECT_EQ(decoder(zeros({1, 1024, 1, 1})).shape(), (Shape{1, 3, 64, 64}));
}

TEST(Conv2d, BadInputAndSettingsFailClearly) {
  Conv2d conv(3, 8, 3);
  try {
    conv(zeros({1, 4, 8, 8}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[N, 3, H, W], got [1, 4, 8, 8]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Conv2d(3, 8, 0), ValueError);
  EXPECT_THROW(ConvTranspose2d(3, 8, 3, 2, 0, 2), ValueError);  // output_padding >= stride
  EXPECT_EQ(conv.repr(), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))");
}

}  // namespace
}  // namespace aime::nn
