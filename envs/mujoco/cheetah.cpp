// The planar cheetah: see cheetah.h. The MJCF below is ours, written from the published
// description of DeepMind Control's cheetah (segment placements and sizes, joint ranges,
// stiffness and damping, gears, timestep, total mass, the tracking side camera), with
// every figure checked against dm_control 1.0.10's cheetah.xml after compiling both
// (docs/dmc.md): note fthigh's range ends at 0.40 degrees (DMC writes ".40") and bfoot's
// starts at -230, as DMC's do; tests/envs/mujoco_test.cpp asserts the compiled values.
#include "envs/mujoco/cheetah.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "envs/tolerance.h"

namespace aime::envs {

namespace {

const char* kCheetahXml = R"(
<mujoco model="aime planar cheetah">
  <compiler angle="degree" settotalmass="14"/>
  <option timestep="0.01"/>
  <include file="dmc_scene.xml"/>
  <statistic extent="2" center="0 0 .7"/>
  <default>
    <default class="segment">
      <joint type="hinge" axis="0 1 0" limited="true" damping="0.01" armature="0.1" stiffness="8"/>
      <geom contype="1" conaffinity="1" condim="3" friction="0.4 0.1 0.1" rgba="0.70 0.50 0.30 1" material="self"/>
    </default>
    <default class="root">
      <joint limited="false" damping="0" armature="0" stiffness="0"/>
    </default>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" conaffinity="1" pos="98 0 0" size="100 0.8 0.5" material="grid"/>
    <body name="torso" pos="0 0 0.7" childclass="segment">
      <light name="light" pos="0 0 2" mode="trackcom"/>
      <camera name="side" pos="0 -3 0" quat="0.707 0.707 0 0" mode="trackcom"/>
      <joint name="rootx" type="slide" axis="1 0 0" class="root"/>
      <joint name="rootz" type="slide" axis="0 0 1" class="root"/>
      <joint name="rooty" type="hinge" axis="0 1 0" class="root"/>
      <geom name="torso" type="capsule" fromto="-0.5 0 0 0.5 0 0" size="0.046"/>
      <geom name="head" type="capsule" pos="0.6 0 0.1" euler="0 50 0" size="0.046 0.15"/>
      <body name="bthigh" pos="-0.5 0 0">
        <joint name="bthigh" range="-30 60" stiffness="240" damping="6"/>
        <geom name="bthigh" type="capsule" pos="0.1 0 -0.13" euler="0 -218 0" size="0.046 0.145"/>
        <body name="bshin" pos="0.16 0 -0.25">
          <joint name="bshin" range="-50 50" stiffness="180" damping="4.5"/>
          <geom name="bshin" type="capsule" pos="-0.14 0 -0.07" euler="0 -116 0" size="0.046 0.15"/>
          <body name="bfoot" pos="-0.28 0 -0.14">
            <joint name="bfoot" range="-230 50" stiffness="120" damping="3"/>
            <geom name="bfoot" type="capsule" pos="0.03 0 -0.097" euler="0 -15 0" size="0.046 0.094"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos="0.5 0 0">
        <joint name="fthigh" range="-57 .40" stiffness="180" damping="4.5"/>
        <geom name="fthigh" type="capsule" pos="-0.07 0 -0.12" euler="0 30 0" size="0.046 0.133"/>
        <body name="fshin" pos="-0.14 0 -0.24">
          <joint name="fshin" range="-70 50" stiffness="120" damping="3"/>
          <geom name="fshin" type="capsule" pos="0.065 0 -0.09" euler="0 -34 0" size="0.046 0.106"/>
          <body name="ffoot" pos="0.13 0 -0.18">
            <joint name="ffoot" range="-28 28" stiffness="60" damping="1.5"/>
            <geom name="ffoot" type="capsule" pos="0.045 0 -0.07" euler="0 -34 0" size="0.046 0.07"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
  <actuator>
    <motor name="bthigh" joint="bthigh" gear="120"/>
    <motor name="bshin" joint="bshin" gear="90"/>
    <motor name="bfoot" joint="bfoot" gear="60"/>
    <motor name="fthigh" joint="fthigh" gear="90"/>
    <motor name="fshin" joint="fshin" gear="60"/>
    <motor name="ffoot" joint="ffoot" gear="30"/>
  </actuator>
</mujoco>
)";

constexpr double kRunSpeed = 10.0;

}  // namespace

const std::vector<std::string>& Cheetah::tasks() {
  static const std::vector<std::string> t{"run", "runbackward", "flip", "flipbackward"};
  return t;
}

Cheetah::Cheetah(const std::string& task, const EnvironmentOptions& options)
    : MujocoEnvironment("cheetah-" + task, kCheetahXml, 1, options), task_(task) {
  if (std::find(tasks().begin(), tasks().end(), task) == tasks().end())
    throw ValueError("cheetah: unknown task '" + task + "' (run, runbackward, flip, flipbackward)");
  rooty_ = joint("rooty");
  subtreelinvel_ = sensor("torso_subtreelinvel");
}

double Cheetah::speed() const { return sensor_data(subtreelinvel_)[0]; }
double Cheetah::angular_velocity() const { return joint_qvel(rooty_); }

void Cheetah::reset_state(Generator& gen) {
  // DMC's Cheetah.initialize_episode: random joints, then 200 physics steps with zero
  // control, each as dm_control's Physics.step does it (mj_step2, then mj_step1, so that
  // positions are up to date after it). The joint angles are written without a forward
  // pass, so the first step's mj_step2 runs on the kinematics of the reset pose: the
  // settled state depends on it (up to 0.13 rad in a joint against stepping after
  // mj_forward, docs/dmc.md).
  randomize_joints(gen, false);
  for (int i = 0; i < model_->nu; ++i) data_->ctrl[i] = 0.0;
  for (int i = 0; i < 200; ++i) {
    mj_step2(model_, data_);
    mj_step1(model_, data_);
  }
  data_->time = 0.0;
  forward();
}

double Cheetah::reward(const std::vector<double>&) const {
  if (task_ == "run") return tolerance(speed(), kRunSpeed, INFINITY, kRunSpeed, Sigmoid::Linear, 0.0);
  if (task_ == "runbackward") return std::clamp(-speed() / kRunSpeed, 0.0, 1.0);
  if (task_ == "flip") return std::clamp(angular_velocity() / 5.0, 0.0, 1.0);
  return std::clamp(-angular_velocity() / 5.0, 0.0, 1.0);  // flipbackward
}

void Cheetah::add_sensors(Observation& obs) const {
  const std::vector<double> q = qpos();
  obs.sensors.push_back({"position", std::vector<double>(q.begin() + 1, q.end())});
  obs.sensors.push_back({"velocity", qvel()});
}

}  // namespace aime::envs
