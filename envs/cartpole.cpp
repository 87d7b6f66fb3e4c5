#include "envs/cartpole.h"

#include <cmath>

#include "autograd/error.h"
#include "autograd/ops/creation.h"
#include "envs/rk4.h"
#include "envs/tolerance.h"

namespace aime::envs {

Cartpole::Cartpole(bool swing_up, const EnvironmentOptions& options, const CartpoleParams& params)
    : Environment(options), swing_up_(swing_up), p_(params) {}

void Cartpole::set_state(const std::vector<double>& state) {
  if (state.size() != 4) throw ValueError("cartpole: state is [x, theta, x', theta'], got " + std::to_string(state.size()) + " values");
  s_ = {state[0], state[1], state[2], state[3]};
}

double Cartpole::energy() const {
  const double M = p_.cart_mass, m = p_.pole_mass, l = p_.pole_half_length;
  const double I = m * 4 * l * l / 12;
  const double kinetic = 0.5 * (M + m) * s_[2] * s_[2] + m * l * std::cos(s_[1]) * s_[2] * s_[3] +
                         0.5 * (I + m * l * l) * s_[3] * s_[3];
  return kinetic + m * p_.gravity * l * (std::cos(s_[1]) - 1.0);
}

void Cartpole::control_step(const std::vector<double>& action) {
  const double F = p_.gear * action.at(0);
  const double M = p_.cart_mass, m = p_.pole_mass, l = p_.pole_half_length, g = p_.gravity;
  const double I = m * 4 * l * l / 12;
  const double dt = p_.control_dt / p_.substeps;
  auto f = [&](const std::array<double, 4>& s) {
    const double c = std::cos(s[1]), sn = std::sin(s[1]);
    // [a11 a12; a21 a22] [x''; t''] = [r1; r2]
    const double a11 = M + m, a12 = m * l * c, a21 = m * l * c, a22 = I + m * l * l;
    const double r1 = F - p_.cart_damping * s[2] + m * l * sn * s[3] * s[3];
    const double r2 = m * g * l * sn - p_.pole_damping * s[3];
    const double det = a11 * a22 - a12 * a21;
    double xdd = (r1 * a22 - a12 * r2) / det, tdd = (a11 * r2 - a21 * r1) / det;
    // The rail's ends (see cartpole.h): in the constraint's coordinate r = L - |x| (< 0 past
    // the end), with sign j = sign(x), the cart's constraint acceleration a0 = -j x'' moves
    // toward a_ref by d; f = (a1 - a0) / A, A = (M^-1)_xx, must push (f >= 0).
    if (p_.rail_limit > 0 && std::fabs(s[0]) > p_.rail_limit) {
      const double j = s[0] > 0 ? 1.0 : -1.0;
      const double d = p_.limit_impedance, tc = p_.limit_timeconst, zeta = p_.limit_dampratio;
      const double k = 1.0 / (d * d * tc * tc * zeta * zeta), b = 2.0 / (d * tc);
      const double r = p_.rail_limit - std::fabs(s[0]), v = -j * s[2], a0 = -j * xdd;
      const double A = a22 / det;
      const double f = std::fmax(0.0, d * ((-b * v - k * r) - a0) / A);
      const double Fx = -j * f;  // the generalised force on x
      xdd += a22 / det * Fx;
      tdd += -a21 / det * Fx;
    }
    return std::array<double, 4>{s[2], s[3], xdd, tdd};
  };
  for (int i = 0; i < p_.substeps; ++i) s_ = rk4_step<4>(s_, dt, f);
  s_[1] = std::remainder(s_[1], 2.0 * M_PI);
}

void Cartpole::reset_state(Generator& gen) {
  const auto n = randn({4}, gen, kFloat64).to_vector<double>();
  if (swing_up_) {
    s_ = {0.01 * n[0], M_PI + 0.01 * n[1], 0.01 * n[2], 0.01 * n[3]};
  } else {
    const auto u = rand({2}, gen, kFloat64).to_vector<double>();
    s_ = {0.2 * u[0] - 0.1, 0.068 * u[1] - 0.034, 0.01 * n[2], 0.01 * n[3]};
  }
  s_[1] = std::remainder(s_[1], 2.0 * M_PI);
}

double Cartpole::reward(const std::vector<double>& action) const {
  const double upright = (std::cos(s_[1]) + 1.0) / 2.0;
  const double centred = (1.0 + tolerance(s_[0], 0.0, 0.0, 2.0)) / 2.0;
  const double small_control = (4.0 + tolerance(action.at(0), 0.0, 0.0, 1.0, Sigmoid::Quadratic, 0.0)) / 5.0;
  const double small_velocity = (1.0 + tolerance(s_[3], 0.0, 0.0, 5.0)) / 2.0;
  return upright * centred * small_control * small_velocity;
}

void Cartpole::add_sensors(Observation& obs) const {
  obs.sensors.push_back({"position", {s_[0], std::cos(s_[1]), std::sin(s_[1])}});
  obs.sensors.push_back({"velocity", {s_[2], s_[3]}});
}

// A fixed camera over x in [-2, 2] m, the rail two thirds down, the pole up for theta = 0.
void Cartpole::render(Canvas& c) const {
  const double px = c.width() / 64.0;        // one pixel of a 64-pixel frame
  const double scale = c.width() / 4.0;      // pixels per metre
  const double rail = c.height() * 0.68;
  const double cx = c.width() / 2.0 + s_[0] * scale;
  const double pole = 2.0 * p_.pole_half_length * scale;
  c.fill_gradient({0.45, 0.60, 0.80}, {0.25, 0.35, 0.50});
  c.rect(0, rail + 3 * px, c.width(), c.height(), {0.30, 0.35, 0.30});       // floor
  c.rect(0, rail - 0.5 * px, c.width(), rail + 0.5 * px, {0.20, 0.20, 0.20});  // rail
  c.rect(cx - 4 * px, rail - 2.5 * px, cx + 4 * px, rail + 2.5 * px, {0.55, 0.40, 0.25});  // cart
  c.capsule(cx, rail - 1.5 * px, cx + pole * std::sin(s_[1]), rail - 1.5 * px - pole * std::cos(s_[1]), 1.2 * px,
            {0.85, 0.70, 0.45});
  c.disc(cx, rail - 1.5 * px, 1.3 * px, {0.15, 0.15, 0.15});
}

}  // namespace aime::envs
