#include "models/sensors.h"

#include <gtest/gtest.h>

#include "autograd/error.h"

namespace aime::models {
namespace {

const std::vector<SensorSpec> kWalker = {{"image", {3, 64, 64}}, {"orientations", {14}}, {"velocity", {9}}, {"height", {1}}};

std::vector<std::string> names(const std::vector<SensorSpec>& s) {
  std::vector<std::string> out;
  for (const auto& x : s) out.push_back(x.name);
  return out;
}

// The original's get_inputs_outputs (aime/utils.py; docs/original.md §6).
TEST(Sensors, RolesOfEachSetup) {
  const SensorRoles visual = sensor_roles(Setup::Visual, kWalker);
  EXPECT_EQ(names(visual.inputs), (std::vector<std::string>{"image"}));
  EXPECT_EQ(names(visual.outputs), (std::vector<std::string>{"image"}));
  EXPECT_EQ(names(visual.probes), (std::vector<std::string>{"orientations", "height", "velocity"}));  // velocity last
  const SensorRoles lpomdp = sensor_roles(Setup::LPOMDP, kWalker);
  EXPECT_EQ(names(lpomdp.inputs), (std::vector<std::string>{"orientations", "height"}));
  EXPECT_EQ(names(lpomdp.probes), (std::vector<std::string>{"velocity"}));
  const SensorRoles mdp = sensor_roles(Setup::MDP, kWalker);
  EXPECT_EQ(names(mdp.inputs), (std::vector<std::string>{"orientations", "height", "velocity"}));
  EXPECT_TRUE(mdp.probes.empty());
  EXPECT_THROW(sensor_roles(Setup::Visual, {{"position", {8}}}), ValueError);
  EXPECT_THROW(sensor_roles(Setup::LPOMDP, {{"velocity", {9}}}), ValueError);
  EXPECT_THROW(sensor_roles(Setup::MDP, {{"image", {3, 64, 64}}}), ValueError);
}

TEST(Sensors, TextRoundTripAndErrorsNameTheKey) {
  const std::string text = sensors_to_text(kWalker);
  EXPECT_EQ(text, "image:3x64x64,orientations:14,velocity:9,height:1");
  const auto back = sensors_from_text(text, "k");
  ASSERT_EQ(back.size(), kWalker.size());
  EXPECT_EQ(back[0].shape, (Shape{3, 64, 64}));
  EXPECT_TRUE(back[0].is_image());
  EXPECT_EQ(back[1].size(), 14);
  try {
    sensors_from_text("image:3xA", "world_model.inputs");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("world_model.inputs"), std::string::npos);
  }
  EXPECT_EQ(parse_setup(setup_name(Setup::LPOMDP)), Setup::LPOMDP);
  EXPECT_THROW(parse_setup("pixels"), ValueError);
}

}  // namespace
}  // namespace aime::models
