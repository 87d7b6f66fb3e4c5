#include "distributions/kl.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "distributions/bernoulli.h"
#include "distributions/independent.h"
#include "distributions/normal.h"
#include "distributions/one_hot_categorical.h"
#include "distributions/tanh_normal.h"

namespace aime::distributions {
namespace {

// KL(N(0, 1) || N(1, 2)) = log 2 + (1 + 1) / 8 - 1/2 = 0.4431471805599453 (by hand).
TEST(KlDivergence, NormalPairAtAFixedPoint) {
  Normal p(zeros({1}, kFloat64), ones({1}, kFloat64)), q(ones({1}, kFloat64), full({1}, 2.0, kFloat64));
  EXPECT_NEAR(kl_divergence(p, q).item(), 0.4431471805599453, 1e-15);
  EXPECT_NEAR(kl_divergence(p, p).item(), 0.0, 0.0);
}

// Analytic KL against a Monte Carlo estimate E_p[log p(x) - log q(x)] with many samples.
TEST(KlDivergence, AnalyticMatchesMonteCarlo) {
  Generator gen(1);
  auto p = std::make_shared<Normal>(tensor({0.3, -1.0}, {2}, kFloat64), tensor({0.7, 1.5}, {2}, kFloat64));
  auto q = std::make_shared<Normal>(tensor({-0.2, 0.5}, {2}, kFloat64), tensor({1.1, 0.9}, {2}, kFloat64));
  Independent ip(p, 1), iq(q, 1);
  const Tensor x = ip.sample(gen, {400000});
  const double mc = mean(ip.log_prob(x) - iq.log_prob(x)).item();
  const double analytic = kl_divergence(ip, iq).item();
  EXPECT_NEAR(mc, analytic, 0.01);
  EXPECT_NEAR(analytic, sum(kl_divergence(*p, *q)).item(), 1e-14);

  OneHotCategorical cp(tensor({0.1, 1.0, -0.5}, {3}, kFloat64)), cq(tensor({0.7, -0.3, 0.2}, {3}, kFloat64));
  const Tensor c = cp.sample(gen, {200000});
  EXPECT_NEAR(mean(cp.log_prob(c) - cq.log_prob(c)).item(), kl_divergence(cp, cq).item(), 0.01);
  EXPECT_NEAR(kl_divergence(cp, cp).item(), 0.0, 1e-15);

  Bernoulli bp(tensor({1.2}, {1}, kFloat64)), bq(tensor({-0.4}, {1}, kFloat64));
  const Tensor b = bp.sample(gen, {200000});
  EXPECT_NEAR(mean(bp.log_prob(b) - bq.log_prob(b)).item(), kl_divergence(bp, bq).item(), 0.01);

  // TanhNormal: KL is invariant under the bijection tanh, so it is the base Normals' KL.
  TanhNormal tp(tensor({0.3}, {1}, kFloat64), tensor({0.7}, {1}, kFloat64));
  TanhNormal tq(tensor({-0.2}, {1}, kFloat64), tensor({1.1}, {1}, kFloat64));
  EXPECT_NEAR(kl_divergence(tp, tq).item(), kl_divergence(*p, *q).to_vector<double>()[0], 1e-15);
}

TEST(KlDivergence, GradientsMatchFiniteDifferences) {
  Generator gen(2);
  const Tensor mp = randn({3}, gen, kFloat64), sp = rand({3}, gen, kFloat64) + 0.5;
  const Tensor mq = randn({3}, gen, kFloat64), sq = rand({3}, gen, kFloat64) + 0.5;
  auto r = gradcheck(
      [](const std::vector<Tensor>& in) { return kl_divergence(Normal(in[0], in[1]), Normal(in[2], in[3])); },
      {mp, sp, mq, sq});
  EXPECT_TRUE(r.ok) << r.message;
  r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return kl_divergence(OneHotCategorical(in[0]), OneHotCategorical(in[1]));
      },
      {randn({2, 4}, gen, kFloat64), randn({2, 4}, gen, kFloat64)});
  EXPECT_TRUE(r.ok) << r.message;
  r = gradcheck([](const std::vector<Tensor>& in) { return kl_divergence(Bernoulli(in[0]), Bernoulli(in[1])); },
                {randn({3}, gen, kFloat64), randn({3}, gen, kFloat64)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(KlDivergence, UnsupportedPairsNameBothDistributions) {
  Normal n(zeros({1}), ones({1}));
  Bernoulli b(zeros({1}));
  try {
    kl_divergence(b, n);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("(Bernoulli, Normal)"), std::string::npos) << e.what();
  }
  auto base = std::make_shared<Normal>(zeros({2, 2}), ones({2, 2}));
  EXPECT_THROW(kl_divergence(Independent(base, 1), Independent(base, 2)), ValueError);
}

// KL balancing: the value is KL(p || q); of the gradient, a share alpha reaches q and
// 1 - alpha reaches p.
TEST(KlBalance, ValueIsTheKlAndAlphaSplitsTheGradient) {
  Generator gen(3);
  const Tensor mp = randn({4}, gen, kFloat64), mq = randn({4}, gen, kFloat64);
  const Tensor sp = rand({4}, gen, kFloat64) + 0.5, sq = rand({4}, gen, kFloat64) + 0.5;
  const double alpha = 0.8;
  Tensor bp = mp.clone().requires_grad_(), bq = mq.clone().requires_grad_();
  Tensor fp = mp.clone().requires_grad_(), fq = mq.clone().requires_grad_();
  const Tensor balanced = kl_balance(Normal(bp, sp), Normal(bq, sq), alpha);
  const Tensor full_kl = kl_divergence(Normal(fp, sp), Normal(fq, sq));
  const auto bv = balanced.to_vector<double>(), fv = full_kl.to_vector<double>();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(bv[i], fv[i], 1e-14);
  sum(balanced).backward();
  sum(full_kl).backward();
  const auto gbp = bp.grad().to_vector<double>(), gfp = fp.grad().to_vector<double>();
  const auto gbq = bq.grad().to_vector<double>(), gfq = fq.grad().to_vector<double>();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(gbp[i], (1 - alpha) * gfp[i], 1e-14);
    EXPECT_NEAR(gbq[i], alpha * gfq[i], 1e-14);
  }
  EXPECT_THROW(kl_balance(Normal(bp, sp), Normal(bq, sq), 1.5), ValueError);
}

// Free nats: the value is the true per-dim KL; below the threshold no gradient, above it
// the gradient of the summed KL.
TEST(FreeNats, KeepsTheValueAndClampsTheGradient) {
  auto kl_of = [](const Tensor& loc) { return kl_divergence(Normal(loc, ones({3}, kFloat64)), Normal(zeros({3}, kFloat64), ones({3}, kFloat64))); };
  // Small KL: sum = (0.1^2 + 0.2^2 + 0.1^2) / 2 = 0.03 < 1.
  Tensor small = tensor({0.1, 0.2, 0.1}, {3}, kFloat64).requires_grad_();
  const Tensor kept = free_nats(kl_of(small), 1.0);
  EXPECT_EQ(kept.to_vector<double>(), kl_of(small).to_vector<double>());
  sum(kept).backward();
  EXPECT_EQ(max(abs(small.grad())).item(), 0.0);
  // Large KL: sum = (1 + 4 + 1) / 2 = 3 > 1: the gradient of sum(KL), d/dmu = mu.
  Tensor large = tensor({1, 2, 1}, {3}, kFloat64).requires_grad_();
  sum(free_nats(kl_of(large), 1.0)).backward();
  EXPECT_EQ(large.grad().to_vector<double>(), (std::vector<double>{1, 2, 1}));
  EXPECT_THROW(free_nats(scalar_tensor(1.0), 1.0), ShapeError);
}

}  // namespace
}  // namespace aime::distributions
