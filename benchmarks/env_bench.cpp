// Simulator and renderer speed of the built-in environments on one thread: control steps
// per second without rendering (for MuJoCo also physics steps: a walker control step is 10
// of them), frames per second of the 64x64 renderer alone, and agent steps per second with
// rendering (what collection runs at). Each measure runs for about a second. Then, for
// walker and cheetah, the same two rendering measures with MuJoCo's renderer (DMC's scene,
// --renderer mujoco), where the build has it.
// Usage: env_bench
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "envs/environment.h"
#if defined(AIME_WITH_MUJOCO)
#include "envs/mujoco/mujoco_environment.h"
#include "envs/mujoco/mujoco_renderer.h"
#endif

using namespace aime::envs;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Observations per second (a frame each), at least a second and a multiple of `chunk`.
double frames_per_second(const Environment& env, int chunk) {
  int frames = 0;
  const auto t0 = Clock::now();
  while (frames % chunk != 0 || seconds_since(t0) < 1.0) {
    env.observe();
    ++frames;
  }
  return frames / seconds_since(t0);
}
}  // namespace

int main() {
  std::printf("| environment | control steps/s | physics steps/s | rendered frames/s | agent steps/s with images |\n|---|---|---|---|---|\n");
  for (const auto& name : environment_names()) {
    EnvironmentOptions off;
    off.render = false;
    auto quiet = make_environment(name, off);
    quiet->reset(0);
    const std::vector<double> action(static_cast<std::size_t>(quiet->action_dim()), 0.1);
    int n = 0;
    auto t0 = Clock::now();
    while (n % 1000 != 0 || seconds_since(t0) < 1.0) {
      quiet->control_step(action);
      ++n;
    }
    const double control = n / seconds_since(t0);
    // MuJoCo steps per control step (walker 10, cheetah 1); the built-ins' RK4 substeps are
    // internal to their control step, so their column repeats the control steps.
    int substeps = 1;
#if defined(AIME_WITH_MUJOCO)
    if (auto* m = dynamic_cast<const MujocoEnvironment*>(quiet.get())) substeps = m->substeps();
#endif

    auto env = make_environment(name);
    env->reset(0);
    const double render = frames_per_second(*env, 100);

    int steps = 0;
    t0 = Clock::now();
    const std::vector<double> push(static_cast<std::size_t>(env->action_dim()), 0.3);
    for (int episode = 0; episode < 3; ++episode) {
      env->reset(static_cast<std::uint64_t>(episode));
      while (!env->step(push).done) ++steps;
      ++steps;
    }
    const double agent = steps / std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f |\n", name.c_str(), control, control * substeps, render, agent);
  }
#if defined(AIME_WITH_MUJOCO)
  if (!MujocoRenderer::available()) {
    std::printf("\n(no MuJoCo renderer in this build: apt-get install libosmesa6-dev)\n");
    return 0;
  }
  std::printf("\n| environment, --renderer mujoco | rendered frames/s | agent steps/s with images |\n|---|---|---|\n");
  for (const char* name : {"walker-walk", "cheetah-run"}) {
    EnvironmentOptions o;
    o.renderer = "mujoco";
    auto env = make_environment(name, o);
    env->reset(0);
    const double render = frames_per_second(*env, 10);
    int steps = 0;
    const auto t0 = Clock::now();
    const std::vector<double> push(static_cast<std::size_t>(env->action_dim()), 0.3);
    env->reset(1);
    while (!env->step(push).done && seconds_since(t0) < 2.0) ++steps;
    const double agent = steps / seconds_since(t0);
    std::printf("| %s | %.0f | %.0f |\n", name, render, agent);
  }
#endif
  return 0;
}
