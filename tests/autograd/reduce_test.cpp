#include "autograd/ops/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/api.h"

namespace aime {
namespace {

std::vector<double> v(const Tensor& t) { return t.to_vector<double>(); }

// x[i, j, k] = 100 i + 10 j + k over [2, 3, 4]
Tensor grid() {
  std::vector<double> d;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) d.push_back(100 * i + 10 * j + k);
  return tensor(d, {2, 3, 4}, kFloat64);
}

TEST(Reduce, SumMeanMaxOverDimSets) {
  Tensor x = grid();
  EXPECT_DOUBLE_EQ(sum(x).item(), 12 * 100 + 8 * 30 + 6 * 6);
  EXPECT_EQ(sum(x, 0).shape(), (Shape{3, 4}));
  EXPECT_EQ(v(sum(x, {0, 2})), (std::vector<double>{2 * 6 + 400, 2 * 6 + 400 + 80, 2 * 6 + 400 + 160}));
  EXPECT_EQ(sum(x, {0, 2}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(v(mean(x, -1)), (std::vector<double>{1.5, 11.5, 21.5, 101.5, 111.5, 121.5}));
  EXPECT_EQ(v(max(x, {1, 2})), (std::vector<double>{23, 123}));
  EXPECT_EQ(max(x).item(), 123);
  EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), std::vector<std::int64_t>(8, 2));
  EXPECT_EQ(argmax(tensor({1, 3, 3, 2}), 0).item(), 1);  // first maximum wins
  EXPECT_EQ(argmax(x, 0, true).shape(), (Shape{1, 3, 4}));
}

TEST(Reduce, LargeReductionsUseSplitRowsAndStayAccurate) {
  // One long row (the split-columns path) and many short rows: compare with closed forms.
  Tensor x = arange(0.0, 1000000.0, 1.0, kFloat64);
  EXPECT_DOUBLE_EQ(sum(x).item(), 999999.0 * 1000000.0 / 2);  // accumulates in double
  EXPECT_DOUBLE_EQ(max(x).item(), 999999.0);
  EXPECT_EQ(argmax(x, 0).item(), 999999);
  EXPECT_EQ(v(sum(x.reshape({1000, 1000}), 1))[3], 3 * 1000000.0 + 999.0 * 1000 / 2);
}

// The sum kernel adds eight interleaved partial sums and then the tail: every length 0-41
// (every tail length, rows shorter than one block) and long rows, float32 and float64,
// against a plain double loop; 1 row x many columns takes the split-columns path, whose
// chunks start at offsets that are not multiples of eight.
TEST(Reduce, SumsOfEveryLengthMatchADoubleLoop) {
  for (DType dt : {kFloat32, kFloat64}) {
    Generator gen(11);
    std::vector<std::int64_t> lengths{65537, 200003};
    for (std::int64_t n = 0; n <= 41; ++n) lengths.push_back(n);
    for (std::int64_t cols : lengths) {
      for (std::int64_t rows : {1, 3}) {
        const Tensor x = randn({rows, cols}, gen, dt) + 0.25;
        const auto xs = x.to_vector<double>();
        const auto got = v(sum(x, 1));
        ASSERT_EQ(got.size(), static_cast<std::size_t>(rows));
        for (std::int64_t r = 0; r < rows; ++r) {
          double want = 0.0, scale = 0.0;
          for (std::int64_t k = 0; k < cols; ++k) {
            want += xs[r * cols + k];
            scale += std::fabs(xs[r * cols + k]);
          }
          // float32: the result's own rounding; both: the order of the additions (the plain
          // loop's own error grows with the length, about 1e-14 of the scale at 2e5).
          EXPECT_NEAR(got[r], want, (dt == kFloat32 ? 1e-7 * std::fabs(want) : 0.0) + 1e-12 * scale + 1e-300)
              << "rows " << rows << ", cols " << cols;
        }
      }
    }
  }
}

// A sum over the last dims and earlier ones runs in two passes (the last dims first); every
// pattern of reduced dims, against a plain loop. Integer values, so each sum is exact in
// float32 whatever the order of its additions.
TEST(Reduce, SumsOverAnySetOfDimsMatchALoop) {
  const Shape shape{3, 4, 5, 6};
  std::vector<double> d;
  for (std::int64_t i = 0; i < 360; ++i) d.push_back(static_cast<double>((i * 7 + i / 11) % 13) - 6.0);
  for (DType dt : {kFloat32, kFloat64}) {
    const Tensor x = tensor(d, shape, dt);
    for (int mask = 1; mask < 16; ++mask) {
      std::vector<std::int64_t> dims;
      for (int k = 0; k < 4; ++k)
        if (mask & (1 << k)) dims.push_back(k);
      // want[out index]: the kept dims' index, row-major over the kept dims.
      Shape kept_shape;
      for (int k = 0; k < 4; ++k)
        if (!(mask & (1 << k))) kept_shape.push_back(shape[k]);
      std::vector<double> want(static_cast<std::size_t>(numel_of(kept_shape)), 0.0);
      for (std::int64_t i = 0; i < 360; ++i) {
        std::int64_t rest = i, out = 0, stride = 1;
        for (int k = 3; k >= 0; --k) {
          const std::int64_t idx = rest % shape[k];
          rest /= shape[k];
          if (!(mask & (1 << k))) {
            out += idx * stride;
            stride *= shape[k];
          }
        }
        want[static_cast<std::size_t>(out)] += d[static_cast<std::size_t>(i)];
      }
      for (bool keep : {false, true}) {
        const Tensor got = sum(x, Dims(dims), keep);
        Shape want_shape;
        for (int k = 0; k < 4; ++k) {
          if (!(mask & (1 << k)))
            want_shape.push_back(shape[k]);
          else if (keep)
            want_shape.push_back(1);
        }
        EXPECT_EQ(got.shape(), want_shape) << "mask " << mask;
        EXPECT_EQ(v(got), want) << "mask " << mask << ", keepdim " << keep;
      }
      // The gradient of sum(x * w) over these dims, summed: w broadcast back, for any w.
      Tensor xg = tensor(d, shape, kFloat64);
      xg.requires_grad_();
      const Tensor w = arange(0.0, 360.0, 1.0, kFloat64).reshape(shape);
      sum(sum(xg * w, Dims(dims)) * 2.0).backward();
      EXPECT_EQ(v(xg.grad()), v(w * 2.0)) << "mask " << mask;
    }
  }
}

TEST(Reduce, LogsumexpVarSoftmaxClosedForms) {
  Tensor x = tensor({1, 2, 3, 1000, 1000, -std::numeric_limits<double>::infinity()}, {2, 3}, kFloat64);
  const auto l = v(logsumexp(x, 1));
  EXPECT_NEAR(l[0], std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-12);
  EXPECT_NEAR(l[1], 1000 + std::log(2.0), 1e-12);  // no overflow, -inf contributes 0
  EXPECT_EQ(v(logsumexp(full({2}, -INFINITY, kFloat64), 0))[0], -INFINITY);
  Tensor y = tensor({1, 2, 3, 4}, {}, kFloat64);
  EXPECT_DOUBLE_EQ(var(y).item(), 5.0 / 3);     // Bessel-corrected
  EXPECT_DOUBLE_EQ(var(y, 0, 0).item(), 1.25);  // population
  const auto s = v(softmax(tensor({0, std::log(3.0)}, {}, kFloat64), 0));
  EXPECT_NEAR(s[0], 0.25, 1e-15);
  EXPECT_NEAR(s[1], 0.75, 1e-15);
  EXPECT_NEAR(v(log_softmax(tensor({0, std::log(3.0)}, {}, kFloat64), 0))[0], std::log(0.25), 1e-15);
}

TEST(Reduce, SumToInvertsBroadcasting) {
  Tensor g = ones({2, 3, 4}, kFloat64);
  EXPECT_EQ(v(sum_to(g, {3, 1})), (std::vector<double>{8, 8, 8}));
  EXPECT_EQ(sum_to(g, {2, 3, 4}).shape(), (Shape{2, 3, 4}));
  EXPECT_DOUBLE_EQ(sum_to(g, {}).item(), 24);
}

TEST(Reduce, MaxGradientIsSharedAmongTies) {
  Tensor x = tensor({1, 3, 3, 2}, {}, kFloat64).requires_grad_();
  max(x).backward();
  EXPECT_EQ(v(x.grad()), (std::vector<double>{0, 0.5, 0.5, 0}));
}

TEST(Reduce, Uint8SumsDoNotOverflow) {
  EXPECT_EQ(sum(full({10}, 200, kUInt8)).item(), 2000);
}

// Outside a recorded graph, summing away leading dims is one product with a ones row; it
// gives what the row reduction gives, in both dtypes, and a recorded sum_to still records.
TEST(SumTo, LeadingDimsThroughAProductEqualTheRowReduction) {
  for (DType dt : {kFloat64, kFloat32}) {
    Generator gen(4);
    const Tensor x = randn({4, 3, 5}, gen, dt);
    for (const Shape& to : std::vector<Shape>{{5}, {3, 5}, {1, 3, 5}}) {
      NoGradGuard no_grad;
      const auto fast = sum_to(x, to).to_vector<double>();
      const std::vector<std::int64_t> dims = to.size() == 1 ? std::vector<std::int64_t>{0, 1} : std::vector<std::int64_t>{0};
      const auto slow = sum(x, dims).reshape(to).to_vector<double>();
      ASSERT_EQ(fast.size(), slow.size());
      for (std::size_t i = 0; i < fast.size(); ++i)
        EXPECT_NEAR(fast[i], slow[i], (dt == kFloat64 ? 1e-12 : 1e-5) * (1 + std::fabs(slow[i])));
    }
  }
  Generator gen(5);
  const Tensor x = randn({4, 5}, gen, kFloat64).requires_grad_();
  const Tensor y = sum_to(x, {5});
  ASSERT_TRUE(y.requires_grad());
  sum(y * 2.0).backward();
  for (double g : x.grad().to_vector<double>()) EXPECT_EQ(g, 2.0);
}

}  // namespace
}  // namespace aime
