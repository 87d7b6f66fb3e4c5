#include "autograd/generator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"

namespace aime {
namespace {

TEST(Generator, SameSeedSameNumbersBitForBit) {
  Generator a(123), b(123), c(124);
  const auto x = randn({1000}, a).to_vector<float>();
  const auto y = randn({1000}, b).to_vector<float>();
  const auto z = randn({1000}, c).to_vector<float>();
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  // A second draw continues the stream (does not repeat the first).
  EXPECT_NE(randn({1000}, a).to_vector<float>(), x);
  a.manual_seed(123);
  EXPECT_EQ(randn({1000}, a).to_vector<float>(), x);
}

TEST(Generator, DrawIsIndependentOfThreadCount) {
  const int before = num_threads();
  Generator a(5), b(5);
  set_num_threads(1);
  const auto one = randn({200000}, a, kFloat64).to_vector<double>();
  set_num_threads(std::max(2, before));
  const auto many = randn({200000}, b, kFloat64).to_vector<double>();
  set_num_threads(before);
  EXPECT_EQ(one, many);
}

// A data-parallel rank's rows (Generator::Rows): its draws are the rows of the whole batch's
// draw, whatever the row size (rows that start inside a Philox block of 4 included), and
// the stream advances as the whole draw's does, so the next draw matches too.
TEST(Generator, ShardedRowsAreTheRowsOfTheWholeDraw) {
  for (DType dtype : {kFloat32, kFloat64})
    for (std::int64_t row : {1, 3, 5, 8})
      for (bool normal : {true, false}) {
        const std::int64_t total = 7;
        Generator whole(11);
        auto draw = [&](Generator& g, std::int64_t rows) {
          return normal ? randn({rows, row}, g, dtype) : rand({rows, row}, g, dtype);
        };
        const auto first = draw(whole, total).to(kFloat64).to_vector<double>();
        const auto second = draw(whole, total).to(kFloat64).to_vector<double>();
        for (auto [begin, end] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 2}, {2, 5}, {5, 7}, {3, 4}}) {
          Generator part(11);
          part.set_rows({total, begin, end});
          const auto a = draw(part, end - begin).to(kFloat64).to_vector<double>();
          const auto b = draw(part, end - begin).to(kFloat64).to_vector<double>();
          EXPECT_EQ(part.offset(), whole.offset());
          const std::vector<double> want_a(first.begin() + begin * row, first.begin() + end * row);
          const std::vector<double> want_b(second.begin() + begin * row, second.begin() + end * row);
          EXPECT_EQ(a, want_a) << dtype_name(dtype) << " row " << row << " [" << begin << ", " << end << ")";
          EXPECT_EQ(b, want_b);
        }
      }
}

TEST(Generator, ShardedRowsRefuseOtherShapesAndBadRanges) {
  Generator g(1);
  g.set_rows({6, 2, 4});
  EXPECT_NO_THROW(randn({2, 3}, g));
  EXPECT_THROW(randn({3, 3}, g), ValueError);  // not the shard's 2 rows
  EXPECT_THROW(randn({}, g), ValueError);
  EXPECT_THROW(g.set_rows({6, 4, 4}), ValueError);
  EXPECT_THROW(g.set_rows({6, 2, 7}), ValueError);
  EXPECT_THROW(g.set_rows({-1, 0, 1}), ValueError);
  g.set_rows({});  // unsharded again
  EXPECT_NO_THROW(randn({3, 3}, g));
}

TEST(Generator, PhiloxKnownAnswer) {
  // Random123's published known-answer test for philox4x32-10 with counter 0, key 0:
  // 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
  const Philox4 r = philox4x32_10(0, 0);
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
}

TEST(Generator, MomentsOfNormalAndUniform) {
  Generator g(2026);
  const auto n = randn({200000}, g, kFloat64).to_vector<double>();
  double m = 0, v = 0;
  for (double x : n) m += x;
  m /= n.size();
  for (double x : n) v += (x - m) * (x - m);
  v /= n.size();
  // Standard errors: mean 1/sqrt(N) = 0.0022, variance sqrt(2/N) = 0.0032; allow ~4.5 sigma.
  EXPECT_NEAR(m, 0.0, 0.01);
  EXPECT_NEAR(v, 1.0, 0.015);
  const auto u = rand({200000}, g).to_vector<float>();
  double mu = 0, lo = 1, hi = 0;
  for (float x : u) {
    mu += x;
    lo = std::min<double>(lo, x);
    hi = std::max<double>(hi, x);
  }
  EXPECT_NEAR(mu / u.size(), 0.5, 0.003);  // sd 0.29/sqrt(N) = 0.00065
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
}

}  // namespace
}  // namespace aime
