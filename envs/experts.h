// Scripted experts built from each task's equations of motion:
//   swing-up by energy shaping (Astrom & Furuta 2000): away from the top, push so that the
//   pole's mechanical energy E (zero upright at rest) rises to 0, i.e. dE/dt > 0;
//   balance by LQR near the top: u = -K (s - s*), K from the discrete Riccati equation of
//   the simulator's own control step linearised at the upright equilibrium.
#pragma once
#include <memory>

#include "envs/cartpole.h"
#include "envs/pendulum.h"
#include "envs/policy.h"

namespace aime::envs {

// Discrete-time LQR gain for model's control step linearised (central differences) at
// state s_star with zero action: minimises sum s^T Q s + R u^2, Q diagonal. Row-major
// [action_dim x state_dim].
std::vector<double> lqr_gain(Environment& model, const std::vector<double>& s_star, const std::vector<double>& q_diag,
                             double r);

class PendulumExpert : public Policy {
 public:
  explicit PendulumExpert(const PendulumParams& params = {});
  std::string name() const override { return "expert"; }
  std::vector<double> act(const Observation& observation) override;

 private:
  PendulumParams p_;
  std::vector<double> k_;  // LQR gain on [theta, omega]
};

class CartpoleExpert : public Policy {
 public:
  explicit CartpoleExpert(const CartpoleParams& params = {});
  std::string name() const override { return "expert"; }
  std::vector<double> act(const Observation& observation) override;

 private:
  CartpoleParams p_;
  std::vector<double> k_;  // LQR gain on [x, theta, x', theta']
};

// The expert for an environment by its name (ValueError for one without).
std::unique_ptr<Policy> make_expert(const Environment& env);

}  // namespace aime::envs
