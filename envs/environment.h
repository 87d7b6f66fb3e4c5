// Environment: the interface of the simulators that produce datasets and evaluate policies
// (after DeepMind Control as the original wraps it): reset(seed) and step(action) return an
// Observation of named vector sensors (DMC's names and order) and, when rendering, a 64x64
// RGB `image`; actions live in [-1, 1]^A (clipped); one agent step repeats the action for
// `action_repeat` control steps and sums their rewards; an episode lasts `episode_steps`
// control steps (DMC's 1000), i.e. 1000 / 2 = 500 agent steps with the default repeat.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/generator.h"
#include "envs/canvas.h"

namespace aime::envs {

struct Observation {
  std::vector<std::pair<std::string, std::vector<double>>> sensors;  // in DMC's order
  std::vector<std::uint8_t> image;  // [size, size, 3] HWC; empty when rendering is off
  // A sensor's values (ValueError naming it if absent).
  const std::vector<double>& sensor(const std::string& name) const;
};

struct StepResult {
  Observation observation;
  double reward = 0.0;  // summed over the repeated control steps, each in [0, 1]
  bool done = false;    // the time limit: DMC tasks have no terminal states
};

struct EnvironmentOptions {
  int action_repeat = 2;
  std::int64_t episode_steps = 1000;  // control steps
  bool render = true;
  int image_size = 64;
  // Who draws the frames: "canvas", aime's own rasteriser (every env, no GL, fast), or
  // "mujoco", MuJoCo's renderer with DMC's scene (walker and cheetah; the original's
  // pixels; needs OSMesa, see envs/mujoco/mujoco_renderer.h).
  std::string renderer = "canvas";
};

class Environment {
 public:
  explicit Environment(const EnvironmentOptions& options);
  virtual ~Environment() = default;

  virtual std::string name() const = 0;
  virtual int action_dim() const = 0;
  const EnvironmentOptions& options() const { return options_; }
  // Agent steps per episode: episode_steps / action_repeat (rounded up).
  std::int64_t agent_steps() const;

  // Starts an episode; the seed fixes the initial state.
  Observation reset(std::uint64_t seed);
  // One agent step. ValueError on a wrong-sized or non-finite action, or after the end.
  StepResult step(const std::vector<double>& action);
  Observation observe() const;

  // The physical state (generalised positions then velocities) and the total mechanical
  // energy, for tests and for the scripted experts' models.
  virtual std::vector<double> state() const = 0;
  virtual void set_state(const std::vector<double>& state) = 0;
  virtual double energy() const = 0;
  // Seconds of simulated time per control step (DMC's control timestep).
  virtual double control_timestep() const = 0;
  // One control step of the physics without reward or bookkeeping (a model of the
  // dynamics for experts that linearise it).
  virtual void control_step(const std::vector<double>& action) = 0;

 protected:
  virtual void reset_state(Generator& gen) = 0;
  // Reward of the current state after a control step with `action`, in [0, 1].
  virtual double reward(const std::vector<double>& action) const = 0;
  // True for tasks whose reward is computed once per agent step, from the state after the
  // repeated control steps (the original's custom tasks, e.g. cheetah-flip), instead of
  // summed over them.
  virtual bool reward_once_per_agent_step() const { return false; }
  virtual void add_sensors(Observation& obs) const = 0;
  virtual void render(Canvas& canvas) const = 0;
  // The observation's frame, HWC RGB (image_size^2 * 3 bytes): the canvas by default;
  // environments with other renderers override it.
  virtual void render_image(std::uint8_t* rgb) const;

 private:
  EnvironmentOptions options_;
  std::int64_t control_steps_ = 0;
  bool started_ = false;
};

// The built-in tasks: pendulum-swingup, cartpole-swingup, cartpole-balance; with MuJoCo
// (-DAIME_MUJOCO), walker-{stand, walk, run, walkbackward, runbackward, flip, flipbackward,
// jump} and cheetah-{run, runbackward, flip, flipbackward}.
std::unique_ptr<Environment> make_environment(const std::string& name, const EnvironmentOptions& options = {});
std::vector<std::string> environment_names();

}  // namespace aime::envs
