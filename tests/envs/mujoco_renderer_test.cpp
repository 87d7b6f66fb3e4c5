// --renderer mujoco: MuJoCo's renderer with DeepMind Control's scene. A walker frame at a
// given state against MuJoCo's rendering of the walker laid out as DMC's files lay it out
// (tests/envs/fixtures/dmc-walker.xml, written from docs/dmc.md), and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "autograd/error.h"
#include "envs/environment.h"
#if defined(AIME_WITH_MUJOCO)
#include "envs/mujoco/mujoco_environment.h"
#include "envs/mujoco/mujoco_renderer.h"
#include "envs/mujoco/walker.h"
#endif

namespace aime::envs {
namespace {

#if defined(AIME_WITH_MUJOCO)

// Any MJCF as an environment, to render it.
class Reference : public MujocoEnvironment {
 public:
  Reference(const std::string& xml, const EnvironmentOptions& o) : MujocoEnvironment("reference", xml, 10, o) {}

 protected:
  void reset_state(Generator& gen) override { randomize_joints(gen); }
  double reward(const std::vector<double>&) const override { return 0; }
  void add_sensors(Observation&) const override {}
};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(AIME_SOURCE_DIR) + "/tests/envs/fixtures/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double mean_abs_difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += std::fabs(static_cast<double>(a[i]) - b[i]);
  return sum / static_cast<double>(a.size());
}

TEST(MujocoRenderer, WalkerFramesAreDeepMindControls) {
  if (!MujocoRenderer::available()) GTEST_SKIP() << "built without OSMesa (libosmesa6-dev)";
  EnvironmentOptions o;
  o.renderer = "mujoco";
  Walker walker("walk", o);
  Reference dmc(fixture("dmc-walker.xml"), o);
  EnvironmentOptions canvas_options;
  Walker canvas("walk", canvas_options);
  for (std::uint64_t seed : {0, 1, 2}) {
    walker.reset(seed);
    for (int t = 0; t < 20; ++t) walker.step(std::vector<double>(6, 0.3 * std::sin(t + seed)));
    dmc.set_state(walker.state());
    canvas.set_state(walker.state());
    const std::vector<std::uint8_t> ours = walker.observe().image, theirs = dmc.observe().image;
    ASSERT_EQ(ours.size(), 64u * 64u * 3u);
    const double diff = mean_abs_difference(ours, theirs);
    EXPECT_LE(diff, 3.0) << "seed " << seed;
    // The same frame twice, and not the canvas's picture.
    EXPECT_EQ(walker.observe().image, ours);
    EXPECT_GT(mean_abs_difference(ours, canvas.observe().image), 10.0) << "seed " << seed;
    std::cerr << "seed " << seed << ": mean |ours - DMC's| = " << diff << " / 255\n";
  }
}

TEST(MujocoRenderer, CheetahRenders) {
  if (!MujocoRenderer::available()) GTEST_SKIP() << "built without OSMesa (libosmesa6-dev)";
  EnvironmentOptions o;
  o.renderer = "mujoco";
  auto cheetah = make_environment("cheetah-run", o);
  const Observation obs = cheetah->reset(0);
  ASSERT_EQ(obs.image.size(), 64u * 64u * 3u);
  // Sky above, the body's orange-brown somewhere in the middle rows.
  int body = 0;
  for (int y = 20; y < 50; ++y)
    for (int x = 0; x < 64; ++x) {
      const std::uint8_t* p = &obs.image[(y * 64 + x) * 3];
      body += p[0] > p[2] + 40;
    }
  EXPECT_GT(body, 20);
}

#endif

TEST(MujocoRenderer, RefusedWhereItCannotDraw) {
  EnvironmentOptions o;
  o.renderer = "mujoco";
  try {
    make_environment("pendulum-swingup", o);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("--renderer canvas"), std::string::npos) << e.what();
  }
  o.renderer = "opengl";
  EXPECT_THROW(make_environment("pendulum-swingup", o), ValueError);
}

}  // namespace
}  // namespace aime::envs
