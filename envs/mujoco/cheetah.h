// The planar half-cheetah of DeepMind Control (after Wawrzynski's), the original's Cheetah
// embodiment, on MuJoCo. A torso with a head and two legs (thigh, shin, foot), 6 motors
// (gears 120, 90, 60 back; 120, 60, 30 front), sprung and damped joints, total mass 14 kg,
// planar root; physics and control at 10 ms, 1000 control steps (10 s). An episode starts
// from random joint angles and 200 physics steps of settling, as DMC's does.
//
// Sensors: position (8: qpos without the root's x), velocity (9: qvel).
// Tasks: run (DMC: tolerance(speed >= 10, linear margin 10)) and the original's
// runbackward, flip, flipbackward (reward after the repeat, docs/original.md §6).
#pragma once
#include "envs/mujoco/mujoco_environment.h"

namespace aime::envs {

class Cheetah : public MujocoEnvironment {
 public:
  static const std::vector<std::string>& tasks();
  Cheetah(const std::string& task, const EnvironmentOptions& options);

  double speed() const;             // the torso subtree's linear velocity along x
  double angular_velocity() const;  // the root hinge's velocity (pitch)

 protected:
  void reset_state(Generator& gen) override;
  double reward(const std::vector<double>& action) const override;
  bool reward_once_per_agent_step() const override { return task_ != "run"; }
  void add_sensors(Observation& obs) const override;

 private:
  std::string task_;
  int rooty_, subtreelinvel_;
};

}  // namespace aime::envs
