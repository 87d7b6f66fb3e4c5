#include "envs/environment.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "envs/cartpole.h"
#include "envs/pendulum.h"
#if defined(AIME_WITH_MUJOCO)
#include "envs/mujoco/cheetah.h"
#include "envs/mujoco/walker.h"
#endif

namespace aime::envs {

const std::vector<double>& Observation::sensor(const std::string& name) const {
  for (const auto& s : sensors)
    if (s.first == name) return s.second;
  throw ValueError("Observation: no sensor '" + name + "'");
}

Environment::Environment(const EnvironmentOptions& options) : options_(options) {
  if (options.action_repeat < 1 || options.episode_steps < 1 || options.image_size < 8)
    throw ValueError("Environment: need action_repeat >= 1, episode_steps >= 1 and image_size >= 8, got " +
                     std::to_string(options.action_repeat) + ", " + std::to_string(options.episode_steps) + ", " +
                     std::to_string(options.image_size));
  if (options.renderer != "canvas" && options.renderer != "mujoco")
    throw ValueError("Environment: renderer must be canvas or mujoco, got '" + options.renderer + "'");
}

std::int64_t Environment::agent_steps() const {
  return (options_.episode_steps + options_.action_repeat - 1) / options_.action_repeat;
}

Observation Environment::reset(std::uint64_t seed) {
  Generator gen(seed);
  reset_state(gen);
  control_steps_ = 0;
  started_ = true;
  return observe();
}

StepResult Environment::step(const std::vector<double>& action_in) {
  if (!started_) throw ValueError(name() + ": step() before reset()");
  if (control_steps_ >= options_.episode_steps) throw ValueError(name() + ": step() after the episode ended; reset() first");
  if (static_cast<int>(action_in.size()) != action_dim())
    throw ValueError(name() + ": action must have " + std::to_string(action_dim()) + " values, got " +
                     std::to_string(action_in.size()));
  std::vector<double> action(action_in);
  for (double& a : action) {
    if (!std::isfinite(a)) throw ValueError(name() + ": action contains a non-finite value");
    a = std::clamp(a, -1.0, 1.0);
  }
  StepResult result;
  for (int r = 0; r < options_.action_repeat && control_steps_ < options_.episode_steps; ++r) {
    control_step(action);
    if (!reward_once_per_agent_step()) result.reward += reward(action);
    ++control_steps_;
  }
  if (reward_once_per_agent_step()) result.reward = reward(action);
  result.done = control_steps_ >= options_.episode_steps;
  result.observation = observe();
  return result;
}

Observation Environment::observe() const {
  Observation obs;
  add_sensors(obs);
  if (options_.render) {
    obs.image.resize(static_cast<std::size_t>(options_.image_size * options_.image_size * 3));
    render_image(obs.image.data());
  }
  return obs;
}

void Environment::render_image(std::uint8_t* rgb) const {
  Canvas canvas(options_.image_size, options_.image_size);
  render(canvas);
  canvas.to_rgb(rgb);
}

std::vector<std::string> environment_names() {
  std::vector<std::string> names{"pendulum-swingup", "cartpole-swingup", "cartpole-balance"};
#if defined(AIME_WITH_MUJOCO)
  for (const auto& t : Walker::tasks()) names.push_back("walker-" + t);
  for (const auto& t : Cheetah::tasks()) names.push_back("cheetah-" + t);
#endif
  return names;
}

std::unique_ptr<Environment> make_environment(const std::string& name, const EnvironmentOptions& options) {
  if (options.renderer == "mujoco" && name.rfind("walker-", 0) != 0 && name.rfind("cheetah-", 0) != 0)
    throw ValueError("make_environment: the mujoco renderer draws MuJoCo models (walker, cheetah), not '" + name +
                     "'; use --renderer canvas");
  if (name == "pendulum-swingup") return std::make_unique<Pendulum>(options);
  if (name == "cartpole-swingup") return std::make_unique<Cartpole>(true, options);
  if (name == "cartpole-balance") return std::make_unique<Cartpole>(false, options);
#if defined(AIME_WITH_MUJOCO)
  if (name.rfind("walker-", 0) == 0) return std::make_unique<Walker>(name.substr(7), options);
  if (name.rfind("cheetah-", 0) == 0) return std::make_unique<Cheetah>(name.substr(8), options);
#else
  if (name.rfind("walker-", 0) == 0 || name.rfind("cheetah-", 0) == 0)
    throw ValueError("make_environment: '" + name + "' needs the MuJoCo environments: apt-get install libmujoco-dev, "
                     "then configure with -DAIME_MUJOCO=AUTO or ON");
#endif
  std::string known;
  for (const auto& n : environment_names()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError("make_environment: unknown environment '" + name + "' (built in: " + known + ")");
}

}  // namespace aime::envs
