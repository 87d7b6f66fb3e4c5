#include "envs/experts.h"

#include "autograd/cpu/eigen_core.h"  // first: see why there
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "autograd/error.h"

namespace aime::envs {

std::vector<double> lqr_gain(Environment& model, const std::vector<double>& s_star, const std::vector<double>& q_diag,
                             double r) {
  const int n = static_cast<int>(s_star.size()), m = model.action_dim();
  using Matrix = Eigen::MatrixXd;
  Matrix A(n, n), B(n, m);
  const double h = 1e-6;
  auto step = [&](std::vector<double> s, std::vector<double> u) {
    model.set_state(s);
    model.control_step(u);
    return model.state();
  };
  const std::vector<double> zero(static_cast<std::size_t>(m), 0.0);
  for (int j = 0; j < n; ++j) {
    auto plus = s_star, minus = s_star;
    plus[j] += h;
    minus[j] -= h;
    const auto a = step(plus, zero), b = step(minus, zero);
    for (int i = 0; i < n; ++i) A(i, j) = (a[i] - b[i]) / (2 * h);
  }
  for (int j = 0; j < m; ++j) {
    auto plus = zero, minus = zero;
    plus[j] = h;
    minus[j] = -h;
    const auto a = step(s_star, plus), b = step(s_star, minus);
    for (int i = 0; i < n; ++i) B(i, j) = (a[i] - b[i]) / (2 * h);
  }
  Matrix Q = Matrix::Zero(n, n);
  for (int i = 0; i < n; ++i) Q(i, i) = q_diag.at(static_cast<std::size_t>(i));
  const Matrix R = Matrix::Identity(m, m) * r;
  // Riccati iteration: P = Q + A^T P (A - B K), K = (R + B^T P B)^-1 B^T P A.
  Matrix P = Q, K(m, n);
  for (int it = 0; it < 100000; ++it) {
    K = (R + B.transpose() * P * B).ldlt().solve(B.transpose() * P * A);
    const Matrix next = Q + A.transpose() * P * (A - B * K);
    const double change = (next - P).cwiseAbs().maxCoeff();
    P = next;
    if (change < 1e-10 * std::max(1.0, P.cwiseAbs().maxCoeff())) break;
  }
  std::vector<double> out;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) out.push_back(K(i, j));
  return out;
}

PendulumExpert::PendulumExpert(const PendulumParams& params) : p_(params) {
  EnvironmentOptions o;
  o.render = false;
  Pendulum model(o, params);
  k_ = lqr_gain(model, {0.0, 0.0}, {10.0, 1.0}, 1.0);
}

std::vector<double> PendulumExpert::act(const Observation& obs) {
  const auto& orientation = obs.sensor("orientation");
  const double theta = std::atan2(orientation[1], orientation[0]), omega = obs.sensor("velocity")[0];
  const double mgl = p_.mass * p_.gravity * p_.length, ml2 = p_.mass * p_.length * p_.length;
  // Near the top, slow enough for the torque limit to hold it: balance.
  if (std::cos(theta) > std::cos(0.35) && std::fabs(omega) < 2.0)
    return {std::clamp(-(k_[0] * theta + k_[1] * omega), -1.0, 1.0)};
  // Energy shaping: dE/dt = tau omega - b omega^2, so tau ~ -E omega raises E towards 0.
  const double energy = 0.5 * ml2 * omega * omega + mgl * (std::cos(theta) - 1.0);
  if (std::fabs(omega) < 1e-3 && energy < 0) return {1.0};  // at rest below the top: start swinging
  return {std::clamp(-5.0 * energy * omega, -1.0, 1.0)};
}

CartpoleExpert::CartpoleExpert(const CartpoleParams& params) : p_(params) {
  EnvironmentOptions o;
  o.render = false;
  Cartpole model(false, o, params);
  k_ = lqr_gain(model, {0.0, 0.0, 0.0, 0.0}, {1.0, 20.0, 0.5, 1.0}, 0.5);
}

std::vector<double> CartpoleExpert::act(const Observation& obs) {
  const auto& position = obs.sensor("position");
  const auto& velocity = obs.sensor("velocity");
  const double x = position[0], theta = std::atan2(position[2], position[1]);
  const double xdot = velocity[0], thetadot = velocity[1];
  if (std::cos(theta) > std::cos(0.8)) {
    const double u = -(k_[0] * x + k_[1] * theta + k_[2] * xdot + k_[3] * thetadot);
    return {std::clamp(u, -1.0, 1.0)};
  }
  // Pole energy E = 1/2 (I + m l^2) theta'^2 + m g l (cos theta - 1); with cart acceleration a,
  // dE/dt = -m l cos(theta) theta' a, so a = k E theta' cos(theta) raises E towards 0 (E < 0).
  const double m = p_.pole_mass, l = p_.pole_half_length, I = m * 4 * l * l / 12;
  const double energy = 0.5 * (I + m * l * l) * thetadot * thetadot + m * p_.gravity * l * (std::cos(theta) - 1.0);
  double accel = 10.0 * energy * thetadot * std::cos(theta) - 4.0 * x - 3.0 * xdot;  // keep the cart in view
  if (std::fabs(thetadot) < 1e-3 && energy < 0) accel = 5.0;  // at rest hanging: kick
  const double force = (p_.cart_mass + p_.pole_mass) * accel;
  return {std::clamp(force / p_.gear, -1.0, 1.0)};
}

std::unique_ptr<Policy> make_expert(const Environment& env) {
  if (auto* p = dynamic_cast<const Pendulum*>(&env)) return std::make_unique<PendulumExpert>(p->params());
  if (auto* c = dynamic_cast<const Cartpole*>(&env)) return std::make_unique<CartpoleExpert>(c->params());
  throw ValueError("make_expert: no scripted expert for " + env.name());
}

}  // namespace aime::envs
