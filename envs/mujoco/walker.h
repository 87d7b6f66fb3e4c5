// The planar walker of DeepMind Control (Tassa et al. 2018), the original's Walker
// embodiment, on MuJoCo. A torso and two legs (thigh, leg, foot), 6 motors (hips gear 100,
// knees 50, ankles 20), planar root (slide x, slide z, hinge y); physics at 2.5 ms, 10
// substeps per 25 ms control step, 1000 control steps (25 s).
//
// Sensors (DMC's names and order): orientations (14: the xx and xz entries of each of the
// 7 bodies' rotation), height (1: the torso's z), velocity (9: qvel).
// Tasks: stand, walk, run (DMC) and the original's walkbackward, runbackward, flip,
// flipbackward, jump (reward after the repeat, docs/original.md §6).
#pragma once
#include "envs/mujoco/mujoco_environment.h"

namespace aime::envs {

class Walker : public MujocoEnvironment {
 public:
  static const std::vector<std::string>& tasks();
  Walker(const std::string& task, const EnvironmentOptions& options);

  double torso_height() const;
  double torso_upright() const;         // the torso frame's zz entry: 1 upright, -1 upside down
  double horizontal_velocity() const;   // the torso subtree's linear velocity along x
  double angular_velocity() const;      // the root hinge's velocity (pitch)
  // DMC's stand reward: (3 tolerance(height >= 1.2, margin 0.6) + (1 + upright) / 2) / 4.
  double stand_reward() const;

 protected:
  void reset_state(Generator& gen) override;
  double reward(const std::vector<double>& action) const override;
  bool reward_once_per_agent_step() const override;
  void add_sensors(Observation& obs) const override;

 private:
  std::string task_;
  int torso_, rooty_, subtreelinvel_;
};

}  // namespace aime::envs
