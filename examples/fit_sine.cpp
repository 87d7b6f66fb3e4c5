// Fits y = sin(x) on [-pi, pi] with an MLP (1 -> 64 -> 64 -> 1, tanh) from aime::nn, trained
// by Adam on mean squared error with gradient clipping, prints the loss falling, and saves
// the weights as a safetensors checkpoint (`aime checkpoint info FILE` lists them; PyTorch
// loads them with safetensors.torch.load_file).
//   fit_sine [--steps N] [--seed S] [--hidden H] [--out FILE]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "autograd/api.h"
#include "nn/nn.h"

using namespace aime;

int main(int argc, char** argv) {
  int steps = 2000, hidden = 64;
  std::uint64_t seed = 0;
  std::string out = "fit_sine.safetensors";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--hidden")) hidden = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: fit_sine [--steps N] [--seed S] [--hidden H] [--out FILE]\n");
      return 2;
    }
  }
  if (argc % 2 == 0 || steps < 1 || hidden < 1) {
    std::fprintf(stderr, "usage: fit_sine [--steps N >= 1] [--seed S] [--hidden H >= 1] [--out FILE]\n");
    return 2;
  }
  Generator gen(seed);  // fixes the initial weights
  // 256 points on [-pi, pi] and their targets.
  const Tensor x = arange(-M_PI, M_PI, 2 * M_PI / 256).reshape({-1, 1});
  const Tensor y = [&] {
    auto v = x.to_vector<float>();
    for (auto& e : v) e = std::sin(e);
    return from_vector(v, x.shape());
  }();

  nn::MLPOptions mlp_options;
  mlp_options.in_features = 1;
  mlp_options.out_features = 1;
  mlp_options.hidden_size = hidden;
  mlp_options.hidden_layers = 2;
  mlp_options.hidden_activation = "tanh";
  nn::MLP mlp(mlp_options, gen);  // PyTorch's default initialisation
  nn::flatten_parameters(mlp.parameters());  // one buffer: the Adam step is one pass
  nn::AdamOptions adam_options;
  adam_options.lr = 1e-2;
  nn::Adam adam(mlp.parameters(), adam_options);

  std::printf("fitting y = sin(x) with %s\n%lld parameters, Adam lr %.0e, seed %llu\n", mlp.repr().c_str(),
              static_cast<long long>(mlp.num_parameters()), adam_options.lr, static_cast<unsigned long long>(seed));
  for (int step = 1; step <= steps; ++step) {
    adam.zero_grad();
    const Tensor loss = mean(square(mlp(x) - y));
    loss.backward();
    const Tensor grad_norm = nn::clip_grad_norm_(mlp.parameters(), 100.0);
    adam.step();
    if (step == 1 || step % (steps / 10 > 0 ? steps / 10 : 1) == 0)
      std::printf("step %5d  loss %.6f  grad norm %.4f\n", step, loss.item(), grad_norm.item());
  }
  nn::save_safetensors(out, mlp.state_dict(), {{"example", "fit_sine"}, {"steps", std::to_string(steps)}});
  std::printf("saved the weights to %s\n", out.c_str());
  return 0;
}
