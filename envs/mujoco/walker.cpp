// The planar walker: see walker.h. The MJCF below is ours, written from the published
// description of DeepMind Control's walker (segment lengths and radii, joint ranges,
// actuator gears, damping and armature, timestep, friction, the tracking side camera).
#include "envs/mujoco/walker.h"

#include <algorithm>
#include <cmath>

#include <mujoco/mujoco.h>

#include "autograd/error.h"
#include "envs/tolerance.h"

namespace aime::envs {

namespace {

// Capsules along each segment; y = -0.05 is the right leg (nearer the camera), +0.05 the
// left. Joint angles in degrees; every hinge turns about -y (positive = flexion forward).
const char* kWalkerXml = R"(
<mujoco model="aime planar walker">
  <compiler angle="degree"/>
  <option timestep="0.0025"/>
  <include file="dmc_scene.xml"/>
  <statistic extent="2" center="0 0 1"/>
  <default>
    <joint damping="0.1" armature="0.01" limited="true" solimplimit="0 0.99 0.01"/>
    <geom contype="1" conaffinity="0" friction="0.7 0.1 0.1"/>
    <motor ctrlrange="-1 1" ctrllimited="true"/>
    <default class="segment">
      <geom type="capsule" rgba="0.70 0.50 0.30 1" material="self"/>
      <joint axis="0 -1 0"/>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" conaffinity="1" pos="248 0 0" size="250 0.8 0.2" material="grid"/>
    <body name="torso" pos="0 0 1.3" childclass="segment">
      <light name="light" pos="0 0 2" mode="trackcom"/>
      <camera name="side" pos="0 -2 0.7" euler="60 0 0" mode="trackcom"/>
      <joint name="rootz" type="slide" axis="0 0 1" limited="false" damping="0" armature="0"/>
      <joint name="rootx" type="slide" axis="1 0 0" limited="false" damping="0" armature="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" limited="false" damping="0" armature="0"/>
      <geom name="torso" size="0.07 0.3"/>
      <body name="right_thigh" pos="0 -0.05 -0.3">
        <joint name="right_hip" range="-20 100"/>
        <geom name="right_thigh" pos="0 0 -0.225" size="0.05 0.225"/>
        <body name="right_leg" pos="0 0 -0.7">
          <joint name="right_knee" pos="0 0 0.25" range="-150 0"/>
          <geom name="right_leg" size="0.04 0.25"/>
          <body name="right_foot" pos="0.06 0 -0.25">
            <joint name="right_ankle" pos="-0.06 0 0" range="-45 45"/>
            <geom name="right_foot" zaxis="1 0 0" size="0.05 0.1"/>
          </body>
        </body>
      </body>
      <body name="left_thigh" pos="0 0.05 -0.3">
        <joint name="left_hip" range="-20 100"/>
        <geom name="left_thigh" pos="0 0 -0.225" size="0.05 0.225"/>
        <body name="left_leg" pos="0 0 -0.7">
          <joint name="left_knee" pos="0 0 0.25" range="-150 0"/>
          <geom name="left_leg" size="0.04 0.25"/>
          <body name="left_foot" pos="0.06 0 -0.25">
            <joint name="left_ankle" pos="-0.06 0 0" range="-45 45"/>
            <geom name="left_foot" zaxis="1 0 0" size="0.05 0.1"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
  <actuator>
    <motor name="right_hip" joint="right_hip" gear="100"/>
    <motor name="right_knee" joint="right_knee" gear="50"/>
    <motor name="right_ankle" joint="right_ankle" gear="20"/>
    <motor name="left_hip" joint="left_hip" gear="100"/>
    <motor name="left_knee" joint="left_knee" gear="50"/>
    <motor name="left_ankle" joint="left_ankle" gear="20"/>
  </actuator>
</mujoco>
)";

constexpr double kStandHeight = 1.2, kWalkSpeed = 1.0, kRunSpeed = 8.0;

}  // namespace

const std::vector<std::string>& Walker::tasks() {
  static const std::vector<std::string> t{"stand", "walk", "run", "walkbackward", "runbackward",
                                          "flip", "flipbackward", "jump"};
  return t;
}

Walker::Walker(const std::string& task, const EnvironmentOptions& options)
    : MujocoEnvironment("walker-" + task, kWalkerXml, 10, options), task_(task) {
  if (std::find(tasks().begin(), tasks().end(), task) == tasks().end())
    throw ValueError("walker: unknown task '" + task +
                     "' (stand, walk, run, walkbackward, runbackward, flip, flipbackward, jump)");
  torso_ = body("torso");
  rooty_ = joint("rooty");
  subtreelinvel_ = sensor("torso_subtreelinvel");
}

double Walker::torso_height() const { return body_xpos(torso_)[2]; }
double Walker::torso_upright() const { return body_xmat(torso_)[8]; }
double Walker::horizontal_velocity() const { return sensor_data(subtreelinvel_)[0]; }
double Walker::angular_velocity() const { return joint_qvel(rooty_); }

double Walker::stand_reward() const {
  const double standing = tolerance(torso_height(), kStandHeight, INFINITY, kStandHeight / 2);
  const double upright = (1.0 + torso_upright()) / 2.0;
  return (3.0 * standing + upright) / 4.0;
}

void Walker::reset_state(Generator& gen) { randomize_joints(gen); }

bool Walker::reward_once_per_agent_step() const {
  return task_ != "stand" && task_ != "walk" && task_ != "run";
}

double Walker::reward(const std::vector<double>&) const {
  const double stand = stand_reward();
  auto move = [&](double speed, double target) {
    return tolerance(speed, target, INFINITY, target / 2, Sigmoid::Linear, 0.5);
  };
  if (task_ == "stand") return stand;
  if (task_ == "walk") return stand * (5.0 * move(horizontal_velocity(), kWalkSpeed) + 1.0) / 6.0;
  if (task_ == "run") return stand * (5.0 * move(horizontal_velocity(), kRunSpeed) + 1.0) / 6.0;
  // The original's custom tasks (docs/original.md §6), on walker-stand's physics.
  const double v = horizontal_velocity();
  if (task_ == "walkbackward") return stand * (5.0 * std::clamp(-v / kWalkSpeed, 0.0, 1.0) + 1.0) / 6.0;
  if (task_ == "runbackward") return stand * (5.0 * std::clamp(-v / kRunSpeed, 0.0, 1.0) + 1.0) / 6.0;
  if (task_ == "flip") return std::clamp(angular_velocity() / 5.0, 0.0, 1.0);
  if (task_ == "flipbackward") return std::clamp(-angular_velocity() / 5.0, 0.0, 1.0);
  return std::clamp(torso_height() / 5.0, 0.0, 1.0);  // jump
}

void Walker::add_sensors(Observation& obs) const {
  std::vector<double> orientations;
  for (int b = 1; b < model_->nbody; ++b) {  // body 0 is the world
    const double* m = body_xmat(b);
    orientations.push_back(m[0]);  // xx
    orientations.push_back(m[2]);  // xz
  }
  obs.sensors.push_back({"orientations", orientations});
  obs.sensors.push_back({"height", {torso_height()}});
  obs.sensors.push_back({"velocity", qvel()});
}

}  // namespace aime::envs
