// Fits y = sin(x) on [-pi, pi] with a 2-layer MLP (1 -> 64 -> 1, tanh), trained by Adam on
// mean squared error, and prints the loss falling. Everything is plain aime tensor code:
// parameters are leaves, the loss is differentiated by backward(), and the update runs
// under NoGradGuard.
//   fit_sine [--steps N] [--seed S] [--hidden H]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "autograd/aime.h"

using namespace aime;

int main(int argc, char** argv) {
  int steps = 2000, hidden = 64;
  std::uint64_t seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--hidden")) hidden = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: fit_sine [--steps N] [--seed S] [--hidden H]\n");
      return 2;
    }
  }
  Generator gen(seed);
  // 256 points on [-pi, pi] and their targets.
  const Tensor x = arange(-M_PI, M_PI, 2 * M_PI / 256).reshape({-1, 1});
  const Tensor y = [&] {
    auto v = x.to_vector<float>();
    for (auto& e : v) e = std::sin(e);
    return from_vector(v, x.shape());
  }();

  // PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  auto uniform = [&](Shape s, double bound) { return (rand(s, gen) * 2.0 - 1.0) * bound; };
  std::vector<Tensor> params = {uniform({hidden, 1}, 1.0), uniform({hidden}, 1.0),
                                uniform({1, hidden}, 1 / std::sqrt(hidden)), uniform({1}, 1 / std::sqrt(hidden))};
  for (auto& p : params) p.requires_grad_();
  std::vector<Tensor> m, v;  // Adam moments
  for (auto& p : params) {
    m.push_back(zeros_like(p));
    v.push_back(zeros_like(p));
  }
  const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;

  std::printf("fitting y = sin(x) with a 1-%d-1 tanh MLP, Adam lr %.0e, seed %llu\n", hidden, lr,
              static_cast<unsigned long long>(seed));
  for (int step = 1; step <= steps; ++step) {
    Tensor pred = linear(tanh(linear(x, params[0], params[1])), params[2], params[3]);
    Tensor loss = mean(square(pred - y));
    loss.backward();
    {
      NoGradGuard no_grad;  // the update is not part of the graph
      for (std::size_t i = 0; i < params.size(); ++i) {
        Tensor g = params[i].grad();
        m[i] = m[i] * b1 + g * (1 - b1);
        v[i] = v[i] * b2 + square(g) * (1 - b2);
        const double c1 = 1 - std::pow(b1, step), c2 = 1 - std::pow(b2, step);
        params[i].add_((m[i] / c1) / (sqrt(v[i] / c2) + eps), -lr);
        g.zero_();
      }
    }
    if (step == 1 || step % (steps / 10 > 0 ? steps / 10 : 1) == 0)
      std::printf("step %5d  loss %.6f\n", step, loss.item());
  }
  return 0;
}
