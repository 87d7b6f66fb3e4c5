#include "autograd/ops/conv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/cpu/cpu_backend.h"
#include "autograd/cpu/cpu_conv_direct.h"
#include "autograd/testing/gradcheck.h"

namespace aime {
namespace {

// Direct convolution by its definition: the reference for the im2col + GEMM kernels.
//   y[n, o, i, j] = b[o] + sum_{c, u, v} x[n, c, i s - p + u, j s - p + v] w[o, c, u, v]
std::vector<double> naive_conv2d(const Tensor& x, const Tensor& w, int s, int p) {
  const auto X = x.to_vector<double>(), W = w.to_vector<double>();
  const int N = x.size(0), C = x.size(1), H = x.size(2), Wd = x.size(3), O = w.size(0), K = w.size(2), L = w.size(3);
  const int Ho = (H + 2 * p - K) / s + 1, Wo = (Wd + 2 * p - L) / s + 1;
  std::vector<double> y(N * O * Ho * Wo, 0.0);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      for (int i = 0; i < Ho; ++i)
        for (int j = 0; j < Wo; ++j) {
          double acc = 0;
          for (int c = 0; c < C; ++c)
            for (int u = 0; u < K; ++u)
              for (int v = 0; v < L; ++v) {
                const int hi = i * s - p + u, wi = j * s - p + v;
                if (hi >= 0 && hi < H && wi >= 0 && wi < Wd)
                  acc += X[((n * C + c) * H + hi) * Wd + wi] * W[((o * C + c) * K + u) * L + v];
              }
          y[((n * O + o) * Ho + i) * Wo + j] = acc;
        }
  return y;
}

// Transposed convolution by its definition: every input pixel scatters its weighted kernel.
//   y[n, o, i s - p + u, j s - p + v] += x[n, c, i, j] w[c, o, u, v]
std::vector<double> naive_conv_transpose2d(const Tensor& x, const Tensor& w, int s, int p, int op) {
  const auto X = x.to_vector<double>(), W = w.to_vector<double>();
  const int N = x.size(0), C = x.size(1), H = x.size(2), Wd = x.size(3), O = w.size(1), K = w.size(2), L = w.size(3);
  const int Ho = (H - 1) * s - 2 * p + K + op, Wo = (Wd - 1) * s - 2 * p + L + op;
  std::vector<double> y(N * O * Ho * Wo, 0.0);
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < H; ++i)
        for (int j = 0; j < Wd; ++j)
          for (int o = 0; o < O; ++o)
            for (int u = 0; u < K; ++u)
              for (int v = 0; v < L; ++v) {
                const int yi = i * s - p + u, yj = j * s - p + v;
                if (yi >= 0 && yi < Ho && yj >= 0 && yj < Wo)
                  y[((n * O + o) * Ho + yi) * Wo + yj] += X[((n * C + c) * H + i) * Wd + j] * W[((c * O + o) * K + u) * L + v];
              }
  return y;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-10) << "at " << i;
}

// y, dx and dw of one conv2d or conv_transpose2d (the gradients of a fixed random projection
// of y), its inputs drawn from `seed`: what two kernel paths must agree on.
std::vector<std::vector<double>> conv_and_gradients(bool transpose, const Shape& xs, const Shape& ws,
                                                    std::int64_t stride, std::int64_t pad, DType dt, std::uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn(xs, gen, dt).requires_grad_(), w = randn(ws, gen, dt).requires_grad_();
  Tensor y = transpose ? conv_transpose2d(x, w, Tensor(), stride, pad) : conv2d(x, w, Tensor(), stride, pad);
  sum(y * randn(y.shape(), gen, dt)).backward();
  return {y.to_vector<double>(), x.grad().to_vector<double>(), w.grad().to_vector<double>()};
}

// Two paths' results equal to rounding: relative 1e-12 in float64, 1e-4 in float32.
void expect_paths_agree(const std::vector<std::vector<double>>& want, const std::vector<std::vector<double>>& got,
                        DType dt) {
  const double tol = dt == kFloat64 ? 1e-12 : 1e-4;
  for (int t = 0; t < 3; ++t) {
    ASSERT_EQ(got[t].size(), want[t].size());
    for (std::size_t i = 0; i < want[t].size(); ++i)
      ASSERT_NEAR(got[t][i], want[t][i], tol * (1 + std::fabs(want[t][i])))
          << (t == 0 ? "output" : t == 1 ? "input gradient" : "weight gradient") << " at " << i;
  }
}

TEST(Conv2d, MatchesDirectConvolution) {
  Generator g(3);
  for (auto [s, p, k] : std::vector<std::tuple<int, int, int>>{{1, 0, 3}, {1, 1, 3}, {2, 0, 4}, {2, 2, 5}, {3, 1, 2}}) {
    Tensor x = randn({3, 2, 9, 8}, g, kFloat64), w = randn({4, 2, k, k}, g, kFloat64);
    expect_near(conv2d(x, w, Tensor(), s, p).to_vector<double>(), naive_conv2d(x, w, s, p));
  }
}

TEST(Conv2d, BiasIsAddedPerChannel) {
  Tensor x = zeros({1, 1, 3, 3}, kFloat64), w = ones({2, 1, 2, 2}, kFloat64), b = tensor({1, -2}, {}, kFloat64);
  const auto y = conv2d(x, w, b).to_vector<double>();
  EXPECT_EQ(y, (std::vector<double>{1, 1, 1, 1, -2, -2, -2, -2}));
}

TEST(ConvTranspose2d, MatchesDirectScatter) {
  Generator g(4);
  for (auto [s, p, op, k] : std::vector<std::tuple<int, int, int, int>>{{1, 0, 0, 3}, {2, 0, 0, 5}, {2, 1, 1, 3}, {3, 2, 2, 4}}) {
    Tensor x = randn({2, 3, 4, 5}, g, kFloat64), w = randn({3, 2, k, k}, g, kFloat64);
    expect_near(conv_transpose2d(x, w, Tensor(), s, p, op).to_vector<double>(), naive_conv_transpose2d(x, w, s, p, op));
  }
}

TEST(Conv2d, CnnHaGeometryOfTheOriginal) {
  // Encoder: 64 -> 31 -> 14 -> 6 -> 2 with k4 s2; decoder: 1 -> 5 -> 13 -> 30 -> 64 with
  // k5, k5, k6, k6 s2 (docs/original.md §2).
  Tensor x = zeros({1, 3, 64, 64});
  for (auto [cin, cout, want] : std::vector<std::tuple<int, int, int>>{{3, 32, 31}, {32, 64, 14}, {64, 128, 6}, {128, 256, 2}}) {
    x = conv2d(x, zeros({cout, cin, 4, 4}), Tensor(), 2);
    EXPECT_EQ(x.size(2), want);
  }
  Tensor z = zeros({1, 1024, 1, 1});
  for (auto [cin, cout, k, want] :
       std::vector<std::tuple<int, int, int, int>>{{1024, 128, 5, 5}, {128, 64, 5, 13}, {64, 32, 6, 30}, {32, 3, 6, 64}}) {
    z = conv_transpose2d(z, zeros({cin, cout, k, k}), Tensor(), 2);
    EXPECT_EQ(z.size(2), want);
  }
}

// Layers with few output positions per image run batched over chunks of images
// (autograd/cpu/cpu_conv.cpp); the rest one image at a time. Both paths give the same
// forward and gradients, for conv2d and conv_transpose2d, at the cnn_ha decoder's 1x1 input
// (l = 1), the encoder's 2x2 output (l = 4), a wider layer and batches that take several
// chunks of columns, in float64 and float32.
TEST(Conv2d, BatchedOverImagesEqualsOneImageAtATime) {
  struct Case {
    bool transpose;
    Shape x, w;
    std::int64_t stride, pad;
  };
  const std::vector<Case> cases{
      {true, {7, 16, 1, 1}, {16, 6, 5, 5}, 2, 0},   // convT from 1x1: l = 1 in every product
      {false, {5, 6, 5, 5}, {16, 6, 5, 5}, 2, 0},   // conv to 1x1
      {false, {9, 8, 6, 6}, {12, 8, 4, 4}, 2, 0},   // 2x2 output: l = 4
      {false, {4, 3, 9, 9}, {5, 3, 3, 3}, 1, 1},    // l = 81, padded
      {true, {6, 5, 3, 3}, {5, 4, 4, 4}, 2, 1},     // convT, l = 9
      {false, {60, 4, 14, 14}, {6, 4, 4, 4}, 2, 0}, // l = 36 over 60 images: three chunks of columns
      {true, {70, 3, 5, 5}, {3, 4, 6, 6}, 2, 0},    // convT 5 -> 14, conv view l = 25: two chunks
  };
  for (DType dt : {kFloat64, kFloat32})
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + (c.transpose ? " conv_transpose2d " : " conv2d ") + shape_str(c.x));
      std::vector<std::vector<double>> results[2];
      cpu::set_conv_direct(false);  // im2col one image at a time against batched (direct: the next test)
      for (int path = 0; path < 2; ++path) {
        cpu::set_conv_batched_max_positions(path == 0 ? 0 : 1 << 20);
        results[path] = conv_and_gradients(c.transpose, c.x, c.w, c.stride, c.pad, dt, 3);
      }
      cpu::set_conv_batched_max_positions(64);
      cpu::set_conv_direct(true);
      ASSERT_NO_FATAL_FAILURE(expect_paths_agree(results[0], results[1], dt));
    }
}

// Two paths of the same convolutions: for each case, on 1 and 2 threads, in float64 and
// float32, the output and both gradients with path(0) set and with path(1) set
// (conv_and_gradients, seeded by `seed`), handed to check(results, dtype).
struct PathCase {
  bool transpose;
  Shape x, w;
  std::int64_t stride;
};
template <class SetPath, class Check>
void compare_paths(const std::vector<PathCase>& cases, std::uint64_t seed, SetPath&& path, Check&& check) {
  const int threads_before = num_threads();
  for (int threads : {1, 2})
    for (DType dt : {kFloat64, kFloat32})
      for (const PathCase& c : cases) {
        SCOPED_TRACE(std::string(dtype_name(dt)) + (c.transpose ? " conv_transpose2d " : " conv2d ") + shape_str(c.x) +
                     ", threads " + std::to_string(threads));
        set_num_threads(threads);
        std::vector<std::vector<double>> results[2];
        for (int p = 0; p < 2; ++p) {
          path(p);
          results[p] = conv_and_gradients(c.transpose, c.x, c.w, c.stride, 0, dt, seed);
        }
        check(results, dt);
      }
  set_num_threads(threads_before);
}

// The direct kernels (path 1) against im2col + GEMM (path 0) on `cases` (compare_paths), then
// a float64 gradient check of conv2d on the direct path at x_shape, w_shape and `stride`.
void expect_direct_path_agrees(const std::vector<PathCase>& cases, std::uint64_t seed, const Shape& x_shape,
                               const Shape& w_shape, std::int64_t stride) {
  compare_paths(cases, seed, [](int path) { cpu::set_conv_direct(path == 1); },
                [](const std::vector<std::vector<double>>* results, DType dt) {
                  ASSERT_NO_FATAL_FAILURE(expect_paths_agree(results[0], results[1], dt));
                });
  cpu::set_conv_direct(true);
  Generator gen(seed + 1);
  const GradcheckResult r =
      gradcheck([stride](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], Tensor(), stride); },
                {randn(x_shape, gen, kFloat64), randn(w_shape, gen, kFloat64)});
  EXPECT_TRUE(r.ok) << r.message;
}

// On the batched path im2col and col2im go through a gather table of offsets (cpu_conv.cpp):
// the same values copied, the same terms added in the same order as the row loops, so the
// forward and every gradient are equal to the bit, for conv2d and conv_transpose2d at
// strides 1-3, with kernels that do and do not divide the image, on 1 and 2 threads.
TEST(Conv2d, GatherTablesEqualTheRowLoopsToTheBit) {
  const std::vector<PathCase> cases{
      {false, {6, 16, 15, 15}, {32, 16, 4, 4}, 2},  // the 32x32 encoder's second layer: 6x6 out
      {false, {5, 4, 6, 6}, {8, 4, 4, 4}, 2},       // 2x2 out
      {true, {7, 16, 1, 1}, {16, 6, 5, 5}, 2},      // convT from 1x1
      {true, {4, 8, 5, 5}, {8, 4, 6, 6}, 2},        // the 32x32 decoder's second layer, 5 -> 14
      {false, {3, 5, 11, 10}, {6, 5, 3, 2}, 3},     // stride 3, a kernel that leaves columns over
      {false, {3, 2, 7, 7}, {3, 2, 3, 3}, 1},       // stride 1
  };
  cpu::set_conv_direct(false);
  cpu::set_conv_batched_max_positions(1 << 20);  // every layer batched
  compare_paths(cases, 11, [](int path) { cpu::set_conv_gather_tables(path == 1); },
                [](const std::vector<std::vector<double>>* results, DType) {
                  ASSERT_EQ(results[0].size(), results[1].size());
                  for (std::size_t i = 0; i < results[0].size(); ++i) EXPECT_EQ(results[0][i], results[1][i]) << "result " << i;
                });
  cpu::set_conv_gather_tables(true);
  cpu::set_conv_batched_max_positions(64);
  cpu::set_conv_direct(true);
}

// Layers with few output channels and many positions run the direct kernels
// (autograd/cpu/cpu_conv_direct.h) for the forward and both gradients. They give what
// im2col + GEMM gives, for conv2d and conv_transpose2d (conv2d's input gradient, whose
// backward is conv2d's forward and weight gradient over dy), at channel counts below, at and above one vector block (8),
// strides 1-3, kernels that do and do not divide the image, odd sizes, 1 and 2 threads, in
// float64 and float32; and their gradients pass a float64 gradient check.
TEST(Conv2d, DirectKernelsEqualIm2colGemm) {
  const std::vector<PathCase> cases{
      {false, {3, 3, 20, 20}, {8, 3, 4, 4}, 2},    // the encoder's first layer, smaller: 9x9 out
      {false, {2, 2, 17, 19}, {1, 2, 3, 3}, 1},    // one output channel, odd sizes
      {false, {2, 5, 23, 21}, {9, 5, 5, 4}, 2},    // 9 channels: one block and one lane of the next
      {false, {3, 8, 29, 29}, {16, 8, 4, 4}, 3},   // two blocks, stride 3
      {true, {2, 8, 9, 9}, {8, 3, 6, 6}, 2},       // the decoder's last layer, smaller: conv view o = 8
      {true, {2, 13, 10, 11}, {13, 2, 5, 5}, 2},   // conv view o = 13, k5
      // Wide enough for the input gradient's direct kernel too (w / stride >= 24 columns):
      {false, {2, 3, 30, 50}, {8, 3, 4, 4}, 2},    // 25 columns per phase
      {false, {1, 2, 12, 40}, {5, 2, 3, 3}, 1},    // 40: four vectors, then one more; odd o
      {true, {1, 8, 12, 30}, {8, 3, 6, 6}, 2},     // the decoder's last layer's geometry, 12 rows
  };
  // The gradient check on the first case's geometry: 81 positions, 8 channels.
  expect_direct_path_agrees(cases, 7, {2, 3, 20, 20}, {8, 3, 4, 4}, 2);
}

// The input gradient with the channels in the vector (conv2d_backward_input_channels) runs
// where the rows are too short for the columns kernel: conv2d's input gradient and
// conv_transpose2d's forward. It gives what W^T . dy and col2im give, at 1, 2 and 4 blocks of
// channels (partly filled too), output channels from 5 to 64, strides 1-3, a kernel smaller
// than its stride (rows no patch reaches: zero gradient) and one that leaves rows over.
TEST(Conv2d, ChannelInputGradientEqualsIm2colGemm) {
  const std::vector<PathCase> cases{
      {false, {3, 8, 31, 31}, {16, 8, 4, 4}, 2},   // the demo encoder's second layer
      {true, {2, 16, 13, 13}, {16, 8, 6, 6}, 2},   // the demo decoder's third layer: 13 -> 30
      {true, {2, 16, 14, 14}, {16, 3, 6, 6}, 2},   // the 32x32 decoder's last layer: 3 channels
      {false, {2, 13, 19, 17}, {5, 13, 3, 3}, 2},  // 13 channels: two blocks, the second partly
      {true, {2, 64, 9, 9}, {64, 32, 6, 6}, 2},    // the original's decoder 3, smaller: four blocks
      {false, {2, 20, 29, 28}, {24, 20, 2, 2}, 3}, // kernel 2 at stride 3: a row in three gets 0
      {false, {2, 3, 12, 11}, {16, 3, 3, 3}, 1},   // stride 1
  };
  for (const PathCase& c : cases) {  // each case runs the kernel, not another path
    const std::int64_t ho = (c.x[2] - c.w[2]) / c.stride + 1, wo = (c.x[3] - c.w[3]) / c.stride + 1;
    ConvGeometry g = c.transpose ? ConvGeometry{c.x[0], c.w[1], (c.x[2] - 1) * c.stride + c.w[2],
                                                (c.x[3] - 1) * c.stride + c.w[3], c.w[0], c.w[2], c.w[3], c.x[2], c.x[3],
                                                c.stride, c.stride, 0, 0}
                                 : ConvGeometry{c.x[0], c.x[1], c.x[2], c.x[3], c.w[0], c.w[2], c.w[3], ho, wo,
                                                c.stride, c.stride, 0, 0};
    EXPECT_TRUE(cpu::conv_channel_input_applies(g, 64) && !cpu::conv_direct_input_applies(g, 64))
        << shape_str(c.x) << " " << shape_str(c.w);
  }
  // The gradient check with 13 channels: two blocks, the second partly filled.
  expect_direct_path_agrees(cases, 13, {1, 13, 19, 17}, {5, 13, 3, 3}, 2);
}

// conv_transpose2d's backward forms dy's columns once for both of its gradients
// (conv2d_forward_and_backward_weight). The joint kernel gives what the two kernels give
// apart, on both the per-image and the batched path, with one thread and with several.
TEST(Conv2d, ForwardAndWeightGradientTogetherEqualApart) {
  struct Case {
    Shape x, w, y;
    Conv2dParams p;
  };
  const std::vector<Case> cases{
      {{5, 3, 13, 13}, {4, 3, 6, 6}, {5, 4, 4, 4}, {2, 2, 0, 0}},  // the decoder's k6 s2 layers, l = 16
      {{3, 2, 9, 9}, {6, 2, 3, 3}, {3, 6, 9, 9}, {1, 1, 1, 1}},    // padded, l = 81
      {{7, 6, 5, 5}, {16, 6, 5, 5}, {7, 16, 1, 1}, {2, 2, 0, 0}},  // l = 1
  };
  Backend& be = backend_for(Device::cpu());
  const int threads_before = num_threads();
  for (int threads : {1, 2})
    for (std::int64_t max_positions : {std::int64_t{0}, std::int64_t{1} << 20})
      for (const Case& c : cases) {
        SCOPED_TRACE("threads " + std::to_string(threads) + ", batched up to " + std::to_string(max_positions) +
                     " positions, x " + shape_str(c.x));
        set_num_threads(threads);
        cpu::set_conv_batched_max_positions(max_positions);
        Generator gen(5);
        Tensor x = randn(c.x, gen, kFloat64), w = randn(c.w, gen, kFloat64), gy = randn(c.y, gen, kFloat64);
        Tensor y0 = Tensor::empty(c.y, kFloat64), gw0 = Tensor::empty(c.w, kFloat64);
        Tensor y1 = Tensor::empty(c.y, kFloat64), gw1 = Tensor::empty(c.w, kFloat64);
        be.conv2d_forward(x, w, c.p, y0);
        be.conv2d_backward_weight(gy, x, c.p, gw0);
        be.conv2d_forward_and_backward_weight(x, w, gy, c.p, y1, gw1);
        EXPECT_EQ(y1.to_vector<double>(), y0.to_vector<double>());
        EXPECT_EQ(gw1.to_vector<double>(), gw0.to_vector<double>());
        expect_near(y0.to_vector<double>(), naive_conv2d(x, w, static_cast<int>(c.p.stride_h), static_cast<int>(c.p.pad_h)));
      }
  cpu::set_conv_batched_max_positions(64);
  set_num_threads(threads_before);
}

}  // namespace
}  // namespace aime
