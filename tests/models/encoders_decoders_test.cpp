#include <gtest/gtest.h>

#include "autograd/api.h"
#include "models/decoders.h"
#include "models/encoders.h"

namespace aime::models {
namespace {

// Reference facts: cnn_ha encoder 690,144 parameters, 64x64x3 -> 1024; decoder with a
// 640-d RSSM feature 4,215,395 and with a 542-d RSSMO feature 4,115,043; probes and smlp
// as the scale table.
TEST(Models, EncoderAndDecoderMatchTheOriginal) {
  CNNEncoderHa encoder;
  EXPECT_EQ(encoder.num_parameters(), 690144);
  EXPECT_EQ(encoder(zeros({2, 3, 3, 64, 64})).shape(), (Shape{2, 3, 1024}));
  CNNDecoderHa walker(640), cheetah(542);
  EXPECT_EQ(walker.num_parameters(), 4215395);
  EXPECT_EQ(cheetah.num_parameters(), 4115043);
  const auto image = walker.forward(zeros({2, 3, 640}));
  EXPECT_EQ(image->mean().shape(), (Shape{2, 3, 3, 64, 64}));
  EXPECT_EQ(image->stddev().to_vector<float>(), std::vector<float>(image->mean().numel(), 1.0f));
  EXPECT_GE(-max(-image->mean()).item(), 0.0);  // sigmoid output in [0, 1]
  EXPECT_LE(max(image->mean()).item(), 1.0);
  // Walker probes: dmlp 128 x 2 on the 640-d feature for orientations (14), height (1), velocity (9).
  EXPECT_EQ(MLPDeterministicDecoder(640, 14, 128, 2).num_parameters() + MLPDeterministicDecoder(640, 1, 128, 2).num_parameters() +
                MLPDeterministicDecoder(640, 9, 128, 2).num_parameters(),
            298776);
  // Cheetah probes: dmlp 512 x 2 with LayerNorm and SiLU on the 542-d feature: position (8), velocity (9).
  EXPECT_EQ(MLPDeterministicDecoder(542, 8, 512, 2, true, "silu").num_parameters() +
                MLPDeterministicDecoder(542, 9, 512, 2, true, "silu").num_parameters(),
            1094161);
}

// aime's 32x32 variant: the same embedding size and feature size in, 32x32 frames out, and
// each image size refuses the other's frames by name.
TEST(Models, CnnHaAt32x32KeepsTheEmbeddingAndDrawsThe32x32Frame) {
  Generator gen(0);
  CNNEncoderHa encoder(3, 8, gen, 32);
  EXPECT_EQ(encoder.output_size(), 256);
  EXPECT_EQ(encoder(zeros({2, 5, 3, 32, 32})).shape(), (Shape{2, 5, 256}));
  // Conv(3->16) + Conv(16->32) + Conv(32->64), 4x4 kernels with biases.
  EXPECT_EQ(encoder.num_parameters(), 3 * 16 * 16 + 16 + 16 * 32 * 16 + 32 + 32 * 64 * 16 + 64);
  CNNDecoderHa decoder(80, 3, 8, gen, 32);
  EXPECT_EQ(decoder.forward(zeros({2, 5, 80}))->mean().shape(), (Shape{2, 5, 3, 32, 32}));
  try {
    encoder(zeros({1, 3, 64, 64}));
    FAIL() << "a 64x64 frame went through the 32x32 encoder";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("images must be [..., 3, 32, 32], got [1, 3, 64, 64]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CNNEncoderHa(3, 8, gen, 48), ValueError);
  EXPECT_THROW(CNNDecoderHa(80, 3, 8, gen, 16), ValueError);
}

TEST(Models, MultimodalEncoderConcatenatesInOrder) {
  MultimodalEncoder enc;
  enc.add("velocity", std::make_shared<IdentityEncoder>(2), 2);
  enc.add("position", std::make_shared<IdentityEncoder>(3), 3);
  Batch inputs{{"position", ones({4, 3})}, {"velocity", zeros({4, 2})}};
  const Tensor e = enc.forward(inputs);
  EXPECT_EQ(e.shape(), (Shape{4, 5}));
  EXPECT_EQ(e.select(0, 0).to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 1}));
  EXPECT_EQ(enc.output_size(), 5);
  EXPECT_THROW(enc.forward(Batch{{"velocity", zeros({4, 2})}}), ValueError);  // no position
}

TEST(Models, StochasticDecoderStdIsSoftplusPlusMin) {
  Generator gen(1);
  MLPStochasticDecoder dec(4, 2, 8, 1, 0.5, false, "elu", gen);
  const auto d = dec.forward(randn({3, 4}, gen));
  EXPECT_GT(-max(-d->stddev()).item(), 0.5);
  EXPECT_EQ(d->mean().shape(), (Shape{3, 2}));
}

}  // namespace
}  // namespace aime::models
