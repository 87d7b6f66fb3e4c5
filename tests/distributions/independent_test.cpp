#include "distributions/independent.h"

#include <gtest/gtest.h>

#include "autograd/api.h"
#include "distributions/normal.h"

namespace aime::distributions {
namespace {

TEST(Independent, SumsLogProbAndEntropyOverReinterpretedDims) {
  Generator gen(1);
  auto base = std::make_shared<Normal>(randn({2, 3, 4}, gen, kFloat64), rand({2, 3, 4}, gen, kFloat64) + 0.1);
  Independent ind(base, 2);
  EXPECT_EQ(ind.batch_shape(), (Shape{2}));
  EXPECT_EQ(ind.event_shape(), (Shape{3, 4}));
  const Tensor x = randn({2, 3, 4}, gen, kFloat64);
  const auto want = sum(base->log_prob(x), {1, 2}).to_vector<double>();
  const auto got = ind.log_prob(x).to_vector<double>();
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(got[i], want[i], 1e-12);
  EXPECT_NEAR(sum(ind.entropy()).item(), sum(base->entropy()).item(), 1e-12);
  EXPECT_EQ(ind.rsample(gen, {5}).shape(), (Shape{5, 2, 3, 4}));
  EXPECT_TRUE(ind.has_rsample());
  EXPECT_EQ(ind.name(), "Independent(Normal)");
}

TEST(Independent, ZeroDimsIsTheBase) {
  auto base = std::make_shared<Normal>(zeros({3}), ones({3}));
  Independent ind(base, 0);
  EXPECT_EQ(ind.log_prob(zeros({3})).shape(), (Shape{3}));
}

TEST(Independent, TooManyDimsFailsClearly) {
  auto base = std::make_shared<Normal>(zeros({3}), ones({3}));
  try {
    Independent(base, 2);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[0, 1]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aime::distributions
