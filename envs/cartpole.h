// cartpole-swingup and cartpole-balance, after DeepMind Control's cartpole: a cart on a
// rail pushed by a force F = gear * u, carrying a uniform pole hinged on top. x is the cart
// position, theta the pole angle from upright. With M the cart mass, m the pole mass, l the
// distance from hinge to the pole's centre and I = m (2l)^2 / 12 its inertia about the
// centre, the equations of motion (Lagrange) are
//   (M + m) x'' + m l cos(theta) theta'' - m l sin(theta) theta'^2 = F - b_x x'
//   m l cos(theta) x'' + (I + m l^2) theta'' - m g l sin(theta)    = -b_t theta'
// solved for (x'', theta'') each RK4 stage. Sensors as DMC's: position = [x, cos theta,
// sin theta], velocity = [x', theta']. Reward as DMC's smooth one:
//   (cos theta + 1)/2 * (1 + centred(x))/2 * (4 + small_control(u))/5 * (1 + small_velocity(theta'))/2
// Swing-up starts hanging (theta = pi) with small noise; balance starts near upright.
// The rail ends at x = +-1.8 m, as DMC's slider joint (limited, range -1.8 1.8, solreflimit
// .08 1): past an end, a unilateral soft constraint in MuJoCo's form pushes the cart back,
// moving the cart's acceleration a fraction d = 0.95 (solimp's dmax) of the way from the
// unconstrained one to a_ref = -b v - k r (r the penetration, v its rate, b = 2 / (d tc),
// k = 1 / (d^2 tc^2 zeta^2), tc = 0.08 s, zeta = 1), and never pulling.
#pragma once
#include <array>

#include "envs/environment.h"

namespace aime::envs {

struct CartpoleParams {
  double cart_mass = 1.0;
  double pole_mass = 0.1;
  double pole_half_length = 0.5;  // the pole is 1 m long
  double gravity = 9.81;
  double cart_damping = 5e-4;
  double pole_damping = 2e-6;
  double gear = 10.0;             // N per unit of action
  double control_dt = 0.01;       // s, DMC's timestep
  int substeps = 2;
  double rail_limit = 1.8;        // m; <= 0: an endless rail
  double limit_timeconst = 0.08;  // s (solref)
  double limit_dampratio = 1.0;
  double limit_impedance = 0.95;  // solimp's dmax
};

class Cartpole : public Environment {
 public:
  Cartpole(bool swing_up, const EnvironmentOptions& options = {}, const CartpoleParams& params = {});
  std::string name() const override { return swing_up_ ? "cartpole-swingup" : "cartpole-balance"; }
  int action_dim() const override { return 1; }
  std::vector<double> state() const override { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::vector<double>& state) override;
  // Kinetic plus potential energy (zero with the pole upright at rest).
  double energy() const override;
  double control_timestep() const override { return p_.control_dt; }
  void control_step(const std::vector<double>& action) override;
  const CartpoleParams& params() const { return p_; }

 protected:
  void reset_state(Generator& gen) override;
  double reward(const std::vector<double>& action) const override;
  void add_sensors(Observation& obs) const override;
  void render(Canvas& canvas) const override;

 private:
  bool swing_up_;
  CartpoleParams p_;
  std::array<double, 4> s_{0.0, 0.0, 0.0, 0.0};  // x, theta, x', theta'
};

}  // namespace aime::envs
