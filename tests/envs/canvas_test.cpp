#include "envs/canvas.h"

#include <gtest/gtest.h>

#include <cmath>

#include "envs/cartpole.h"
#include "envs/pendulum.h"

namespace aime::envs {
namespace {

TEST(Canvas, ShapesCoverTheirPixelsWithAntialiasedEdges) {
  Canvas c(16, 16);
  c.fill_gradient({0, 0, 0}, {0, 0, 0});
  c.disc(8, 8, 3, {1, 1, 1});
  EXPECT_EQ(c.at(8, 8).r, 1.0);   // inside
  EXPECT_EQ(c.at(0, 0).r, 0.0);   // far outside
  const double edge = c.at(10, 7).r;  // pixel centre (10.5, 7.5): distance ~2.55, near the rim
  EXPECT_GT(edge, 0.0);
  EXPECT_LE(edge, 1.0);
  std::vector<std::uint8_t> rgb(16 * 16 * 3);
  c.to_rgb(rgb.data());
  EXPECT_EQ(rgb[(8 * 16 + 8) * 3], 255);
}

// Centroid of the pendulum's mass (reddish pixels) relative to the pivot, in image
// coordinates (y down): its angle follows theta.
TEST(Renderer, PendulumMassRotatesWithTheAngle) {
  Pendulum env;
  env.reset(0);
  for (double theta : {0.0, 0.8, 2.0, -1.2, 3.0}) {
    env.set_state({theta, 0.0});
    const Observation o = env.observe();
    ASSERT_EQ(o.image.size(), 64u * 64u * 3u);
    double sx = 0, sy = 0, n = 0;
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const std::uint8_t* p = &o.image[static_cast<std::size_t>((y * 64 + x) * 3)];
        if (p[0] > 180 && p[2] < 100) {  // the orange-red mass
          sx += x + 0.5;
          sy += y + 0.5;
          ++n;
        }
      }
    ASSERT_GT(n, 10) << theta;
    const double angle = std::atan2(sx / n - 32.0, 32.0 - sy / n);  // 0 = up, clockwise positive
    EXPECT_NEAR(std::remainder(angle - theta, 2 * M_PI), 0.0, 0.05) << theta;
  }
}

TEST(Renderer, CartMovesRightWithPosition) {
  Cartpole env(false);
  env.reset(0);
  double previous = -1;
  for (double x : {-1.0, 0.0, 1.0}) {
    env.set_state({x, 0.0, 0.0, 0.0});
    const Observation o = env.observe();
    double sx = 0, n = 0;
    for (int y = 0; y < 64; ++y)
      for (int px = 0; px < 64; ++px) {
        const std::uint8_t* p = &o.image[static_cast<std::size_t>((y * 64 + px) * 3)];
        if (p[0] > 120 && p[0] < 160 && p[1] > 90 && p[1] < 115 && p[2] < 75) {  // the brown cart
          sx += px + 0.5;
          ++n;
        }
      }
    ASSERT_GT(n, 5);
    EXPECT_NEAR(sx / n, 32.0 + x * 16.0, 1.0);  // 16 pixels per metre
    EXPECT_GT(sx / n, previous);
    previous = sx / n;
  }
}

}  // namespace
}  // namespace aime::envs
