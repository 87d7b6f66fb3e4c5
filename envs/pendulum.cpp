#include "envs/pendulum.h"

#include <cmath>

#include "autograd/error.h"
#include "autograd/ops/creation.h"
#include "envs/rk4.h"
#include "envs/tolerance.h"

namespace aime::envs {

Pendulum::Pendulum(const EnvironmentOptions& options, const PendulumParams& params) : Environment(options), p_(params) {}

void Pendulum::set_state(const std::vector<double>& state) {
  if (state.size() != 2) throw ValueError("pendulum: state is [theta, omega], got " + std::to_string(state.size()) + " values");
  s_ = {state[0], state[1]};
}

double Pendulum::energy() const {
  const double ml2 = p_.mass * p_.length * p_.length;
  return 0.5 * ml2 * s_[1] * s_[1] + p_.mass * p_.gravity * p_.length * (std::cos(s_[0]) - 1.0);
}

void Pendulum::control_step(const std::vector<double>& action) {
  const double tau = p_.max_torque * action.at(0);
  const double ml2 = p_.mass * p_.length * p_.length, mgl = p_.mass * p_.gravity * p_.length;
  const double dt = p_.control_dt / p_.substeps;
  for (int i = 0; i < p_.substeps; ++i)
    s_ = rk4_step<2>(s_, dt, [&](const std::array<double, 2>& s) {
      return std::array<double, 2>{s[1], (mgl * std::sin(s[0]) - p_.damping * s[1] + tau) / ml2};
    });
  s_[0] = std::remainder(s_[0], 2.0 * M_PI);  // keep theta in [-pi, pi]
}

void Pendulum::reset_state(Generator& gen) {
  const double u = rand({1}, gen, kFloat64).item();
  s_ = {(2.0 * u - 1.0) * M_PI, 0.0};
}

double Pendulum::reward(const std::vector<double>&) const {
  return tolerance(std::cos(s_[0]), std::cos(8.0 * M_PI / 180.0), 1.0);
}

void Pendulum::add_sensors(Observation& obs) const {
  obs.sensors.push_back({"orientation", {std::cos(s_[0]), std::sin(s_[0])}});
  obs.sensors.push_back({"velocity", {s_[1]}});
}

// The scene as DMC's camera sees it: the pivot at the centre, the rod up for theta = 0.
void Pendulum::render(Canvas& c) const {
  const double scale = c.width() / 1.5;  // pixels per metre: 1.5 m across
  const double cx = c.width() / 2.0, cy = c.height() / 2.0;
  const double tx = cx + p_.length * std::sin(s_[0]) * scale, ty = cy - p_.length * std::cos(s_[0]) * scale;
  c.fill_gradient({0.45, 0.60, 0.80}, {0.20, 0.30, 0.45});
  c.capsule(cx, cy, tx, ty, c.width() / 64.0 * 1.6, {0.85, 0.70, 0.45});
  c.disc(tx, ty, c.width() / 64.0 * 4.0, {0.85, 0.35, 0.20});
  c.disc(cx, cy, c.width() / 64.0 * 2.0, {0.15, 0.15, 0.15});
}

}  // namespace aime::envs
