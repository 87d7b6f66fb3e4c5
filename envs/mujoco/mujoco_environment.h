// MujocoEnvironment: an Environment whose physics is a MuJoCo model (the C API of
// Debian's libmujoco-dev 2.2.2), built only with -DAIME_MUJOCO=AUTO/ON when the library is
// found. The planar walker and cheetah (walker.h, cheetah.h) derive from it; the model is
// our own MJCF text, loaded through MuJoCo's virtual file system (no file on disk), where
// DMC's scene (skybox, materials, visual settings) is offered as dmc_scene.xml to include.
//
// Rendering: our own rasteriser of the model's geoms from the simulation's poses, through
// the model's camera 0 (DMC's "side" camera, which tracks the centre of mass): the floor is
// a per-pixel perspective checkerboard, each capsule and sphere is projected and drawn by
// the Canvas (antialiased), far to near. No GL context, no GPU, ~microseconds per frame.
// With options().renderer "mujoco", MuJoCo's own renderer draws DMC's scene instead
// (envs/mujoco/mujoco_renderer.h: an OSMesa context, ~ms per frame on llvmpipe).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "envs/environment.h"
#include "envs/mujoco/mujoco_renderer.h"

struct mjModel_;
struct mjData_;

namespace aime::envs {

class MujocoEnvironment : public Environment {
 public:
  // `mjcf`: the model's XML; `name`: the env's name, used in errors; `substeps`: physics
  // steps per control step (DMC: walker 10 at 2.5 ms, cheetah 1 at 10 ms).
  MujocoEnvironment(const std::string& name, const std::string& mjcf, int substeps, const EnvironmentOptions& options);
  ~MujocoEnvironment() override;

  std::string name() const override { return name_; }
  int action_dim() const override;
  // qpos then qvel.
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& state) override;
  // Potential plus kinetic energy (MuJoCo's energy computation).
  double energy() const override;
  void control_step(const std::vector<double>& action) override;

  // Compiled figures, to check against DMC's model files: a joint's range (radians or
  // metres), an actuator's gear, a geom's orientation in its body (w, x, y, z).
  std::vector<double> joint_range(const std::string& joint) const;
  double actuator_gear(const std::string& actuator) const;
  std::vector<double> geom_quat(const std::string& geom) const;

  double physics_timestep() const;
  double control_timestep() const override { return physics_timestep() * substeps_; }
  int substeps() const { return substeps_; }

 protected:
  // DMC's randomize_limited_and_rotational_joints after its Physics.reset: every limited
  // hinge or slide uniform in its range, every unlimited hinge uniform in [-pi, pi];
  // velocities zero. Without `update_kinematics` the positions are written and nothing
  // else (the derived quantities stay those of the reset pose), as DMC leaves them.
  void randomize_joints(Generator& gen, bool update_kinematics = true);
  void forward();  // recomputes positions, sensors and energies from qpos/qvel
  void render(Canvas& canvas) const override;
  // options().renderer "mujoco": MuJoCo's renderer (created at the first frame); else the canvas.
  void render_image(std::uint8_t* rgb) const override;

  int body(const std::string& name) const;    // id, ValueError if absent
  int joint(const std::string& name) const;   // id
  int sensor(const std::string& name) const;  // id
  const double* body_xpos(int body) const;    // 3 values
  const double* body_xmat(int body) const;    // 9 values, row-major
  const double* sensor_data(int sensor) const;
  std::vector<double> qpos() const;
  std::vector<double> qvel() const;
  double joint_qvel(int joint) const;

  mjModel_* model_ = nullptr;
  mjData_* data_ = nullptr;

 private:
  std::string name_;
  int substeps_;
  mutable std::unique_ptr<MujocoRenderer> renderer_;
};

}  // namespace aime::envs
