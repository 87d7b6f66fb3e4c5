// pendulum-swingup, after DeepMind Control's pendulum (a point mass on a massless rod,
// torque-limited so that it must pump energy to swing up). theta is the angle from
// upright (0 = up, +-pi = hanging), omega its rate:
//   m l^2 theta'' = m g l sin(theta) - b omega + tau,   tau = max_torque * u,  u in [-1, 1]
// Sensors as DMC's: orientation = [cos theta, sin theta], velocity = [omega].
// Reward as DMC's swingup: 1 while within 8 degrees of upright, else 0 (tolerance with no
// margin on cos theta). Episodes start at a uniformly random angle at rest.
#pragma once
#include <array>

#include "envs/environment.h"

namespace aime::envs {

struct PendulumParams {
  double mass = 1.0;        // kg, at the tip
  double length = 0.5;      // m
  double gravity = 9.81;
  double damping = 0.1;     // N m s / rad (DMC's hinge damping)
  double max_torque = 1.0;  // N m: below m g l = 4.9, so a direct lift is impossible
  double control_dt = 0.02; // s, DMC's timestep
  int substeps = 4;         // RK4 steps per control step
};

class Pendulum : public Environment {
 public:
  explicit Pendulum(const EnvironmentOptions& options = {}, const PendulumParams& params = {});
  std::string name() const override { return "pendulum-swingup"; }
  int action_dim() const override { return 1; }
  std::vector<double> state() const override { return {s_[0], s_[1]}; }
  void set_state(const std::vector<double>& state) override;
  // Kinetic plus potential energy, zero upright at rest: 1/2 m l^2 w^2 + m g l (cos t - 1).
  double energy() const override;
  double control_timestep() const override { return p_.control_dt; }
  void control_step(const std::vector<double>& action) override;
  const PendulumParams& params() const { return p_; }

 protected:
  void reset_state(Generator& gen) override;
  double reward(const std::vector<double>& action) const override;
  void add_sensors(Observation& obs) const override;
  void render(Canvas& canvas) const override;

 private:
  PendulumParams p_;
  std::array<double, 2> s_{0.0, 0.0};  // theta, omega
};

}  // namespace aime::envs
