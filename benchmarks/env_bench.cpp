// Simulator and renderer speed of the built-in environments on one thread: control steps
// per second without rendering, frames per second of the 64x64 renderer alone, and agent
// steps per second with rendering (what collection runs at).
// Usage: env_bench
#include <chrono>
#include <cstdio>

#include "envs/environment.h"

using namespace aime::envs;
using Clock = std::chrono::steady_clock;

int main() {
  std::printf("| environment | physics steps/s | rendered frames/s | agent steps/s with images |\n|---|---|---|---|\n");
  for (const auto& name : environment_names()) {
    EnvironmentOptions off;
    off.render = false;
    auto quiet = make_environment(name, off);
    quiet->reset(0);
    const int n = 200000;
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) quiet->control_step({0.1});
    const double physics = n / std::chrono::duration<double>(Clock::now() - t0).count();

    auto env = make_environment(name);
    env->reset(0);
    const int frames = 20000;
    t0 = Clock::now();
    for (int i = 0; i < frames; ++i) env->observe();
    const double render = frames / std::chrono::duration<double>(Clock::now() - t0).count();

    int steps = 0;
    t0 = Clock::now();
    for (int episode = 0; episode < 10; ++episode) {
      env->reset(static_cast<std::uint64_t>(episode));
      while (!env->step({0.3}).done) ++steps;
      ++steps;
    }
    const double agent = steps / std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("| %s | %.0f | %.0f | %.0f |\n", name.c_str(), physics, render, agent);
  }
  return 0;
}
