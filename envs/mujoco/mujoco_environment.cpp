// MujocoEnvironment: see mujoco_environment.h.
#include "envs/mujoco/mujoco_environment.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "autograd/api.h"
#include "envs/canvas.h"

namespace aime::envs {

namespace {
// mjVFS holds 2000 names of 1000 bytes: too big for the stack.
struct VfsDeleter {
  void operator()(mjVFS* v) const {
    mj_deleteVFS(v);
    delete v;
  }
};

// DeepMind Control's common/skybox.xml, visual.xml and materials.xml as the walker and
// cheetah use them (docs/dmc.md), offered to every model as <include file="dmc_scene.xml"/>.
const char* kDmcSceneXml = R"(<mujoco>
  <visual>
    <headlight ambient=".4 .4 .4" diffuse=".8 .8 .8" specular="0.1 0.1 0.1"/>
    <map znear=".01"/>
    <quality shadowsize="2048"/>
  </visual>
  <asset>
    <texture name="skybox" type="skybox" builtin="gradient" rgb1=".4 .6 .8" rgb2="0 0 0" width="800" height="800" mark="random" markrgb="1 1 1"/>
    <texture name="grid" type="2d" builtin="checker" rgb1=".1 .2 .3" rgb2=".2 .3 .4" width="300" height="300" mark="edge" markrgb=".2 .3 .4"/>
    <material name="grid" texture="grid" texrepeat="1 1" texuniform="true" reflectance=".2"/>
    <material name="self" rgba=".7 .5 .3 1"/>
  </asset>
</mujoco>
)";

void add_vfs_file(mjVFS* vfs, const std::string& file, const std::string& text, const std::string& name) {
  if (mj_makeEmptyFileVFS(vfs, file.c_str(), static_cast<int>(text.size())) != 0)
    throw ValueError(name + ": cannot create " + file + " in MuJoCo's virtual file system");
  const int index = mj_findFileVFS(vfs, file.c_str());
  std::memcpy(vfs->filedata[index], text.data(), text.size());
}
}  // namespace

MujocoEnvironment::MujocoEnvironment(const std::string& name, const std::string& mjcf, int substeps,
                                     const EnvironmentOptions& options)
    : Environment(options), name_(name), substeps_(substeps) {
  std::unique_ptr<mjVFS, VfsDeleter> vfs(new mjVFS);
  mj_defaultVFS(vfs.get());
  const std::string file = name + ".xml";
  add_vfs_file(vfs.get(), file, mjcf, name);
  add_vfs_file(vfs.get(), "dmc_scene.xml", kDmcSceneXml, name);
  char error[1000] = "";
  model_ = mj_loadXML(file.c_str(), vfs.get(), error, sizeof(error));
  if (!model_) throw ValueError(name + ": MuJoCo rejected the model: " + error);
  model_->opt.enableflags |= mjENBL_ENERGY;
  data_ = mj_makeData(model_);
  if (!data_) {
    mj_deleteModel(model_);
    throw Error(name + ": mj_makeData failed");
  }
  mj_forward(model_, data_);
  // Refused at once where the build has no GL (the message says what to install).
  if (options.render && options.renderer == "mujoco") {
    try {
      renderer_ = std::make_unique<MujocoRenderer>(model_, options.image_size, options.image_size, 0);
    } catch (...) {
      mj_deleteData(data_);
      mj_deleteModel(model_);
      throw;
    }
  }
}

MujocoEnvironment::~MujocoEnvironment() {
  renderer_.reset();  // its scene and GL context refer to the model
  if (data_) mj_deleteData(data_);
  if (model_) mj_deleteModel(model_);
}

int MujocoEnvironment::action_dim() const { return model_->nu; }
double MujocoEnvironment::physics_timestep() const { return model_->opt.timestep; }

std::vector<double> MujocoEnvironment::qpos() const { return {data_->qpos, data_->qpos + model_->nq}; }
std::vector<double> MujocoEnvironment::qvel() const { return {data_->qvel, data_->qvel + model_->nv}; }

std::vector<double> MujocoEnvironment::state() const {
  std::vector<double> s = qpos();
  const std::vector<double> v = qvel();
  s.insert(s.end(), v.begin(), v.end());
  return s;
}

void MujocoEnvironment::set_state(const std::vector<double>& state) {
  if (static_cast<int>(state.size()) != model_->nq + model_->nv)
    throw ValueError(name_ + ": set_state expects " + std::to_string(model_->nq + model_->nv) +
                     " values (qpos then qvel), got " + std::to_string(state.size()));
  std::copy(state.begin(), state.begin() + model_->nq, data_->qpos);
  std::copy(state.begin() + model_->nq, state.end(), data_->qvel);
  forward();
}

double MujocoEnvironment::energy() const { return data_->energy[0] + data_->energy[1]; }

void MujocoEnvironment::control_step(const std::vector<double>& action) {
  if (static_cast<int>(action.size()) != model_->nu)
    throw ValueError(name_ + ": action must have " + std::to_string(model_->nu) + " values, got " +
                     std::to_string(action.size()));
  for (int i = 0; i < model_->nu; ++i) data_->ctrl[i] = std::clamp(action[i], -1.0, 1.0);
  for (int s = 0; s < substeps_; ++s) mj_step(model_, data_);
  // mj_step leaves positions-dependent quantities one step behind: DMC's observations are
  // read after a forward pass (physics.after_step), so are ours.
  forward();
}

void MujocoEnvironment::forward() { mj_forward(model_, data_); }

void MujocoEnvironment::randomize_joints(Generator& gen, bool update_kinematics) {
  // One uniform draw per joint from the env's seed (reproducible).
  const std::vector<double> u = rand({std::max(model_->njnt, 1)}, gen, kFloat64).to_vector<double>();
  // dm_control's Physics.reset: mj_resetData, then a forward pass (the reset pose's kinematics).
  mj_resetData(model_, data_);
  mj_forward(model_, data_);
  for (int j = 0; j < model_->njnt; ++j) {
    const int type = model_->jnt_type[j];
    const int adr = model_->jnt_qposadr[j];
    const bool limited = model_->jnt_limited[j];
    if (type == mjJNT_HINGE || type == mjJNT_SLIDE) {
      if (limited) {
        const double lo = model_->jnt_range[2 * j], hi = model_->jnt_range[2 * j + 1];
        data_->qpos[adr] = lo + (hi - lo) * u[j];
      } else if (type == mjJNT_HINGE) {
        data_->qpos[adr] = -M_PI + 2.0 * M_PI * u[j];
      }
    }
  }
  if (update_kinematics) forward();
}

std::vector<double> MujocoEnvironment::joint_range(const std::string& name) const {
  const int j = joint(name);
  return {model_->jnt_range[2 * j], model_->jnt_range[2 * j + 1]};
}

double MujocoEnvironment::actuator_gear(const std::string& name) const {
  const int id = mj_name2id(model_, mjOBJ_ACTUATOR, name.c_str());
  if (id < 0) throw ValueError(name_ + ": the model has no actuator '" + name + "'");
  return model_->actuator_gear[6 * id];
}

std::vector<double> MujocoEnvironment::geom_quat(const std::string& name) const {
  const int id = mj_name2id(model_, mjOBJ_GEOM, name.c_str());
  if (id < 0) throw ValueError(name_ + ": the model has no geom '" + name + "'");
  return std::vector<double>(model_->geom_quat + 4 * id, model_->geom_quat + 4 * id + 4);
}

int MujocoEnvironment::body(const std::string& name) const {
  const int id = mj_name2id(model_, mjOBJ_BODY, name.c_str());
  if (id < 0) throw ValueError(name_ + ": the model has no body '" + name + "'");
  return id;
}
int MujocoEnvironment::joint(const std::string& name) const {
  const int id = mj_name2id(model_, mjOBJ_JOINT, name.c_str());
  if (id < 0) throw ValueError(name_ + ": the model has no joint '" + name + "'");
  return id;
}
int MujocoEnvironment::sensor(const std::string& name) const {
  const int id = mj_name2id(model_, mjOBJ_SENSOR, name.c_str());
  if (id < 0) throw ValueError(name_ + ": the model has no sensor '" + name + "'");
  return id;
}
const double* MujocoEnvironment::body_xpos(int b) const { return data_->xpos + 3 * b; }
const double* MujocoEnvironment::body_xmat(int b) const { return data_->xmat + 9 * b; }
const double* MujocoEnvironment::sensor_data(int s) const { return data_->sensordata + model_->sensor_adr[s]; }
double MujocoEnvironment::joint_qvel(int j) const { return data_->qvel[model_->jnt_dofadr[j]]; }

// ---- rendering ----

void MujocoEnvironment::render_image(std::uint8_t* rgb) const {
  if (options().renderer != "mujoco") return Environment::render_image(rgb);
  renderer_->render(data_, rgb);
}
//
// Camera 0's frame (MuJoCo: x right, y up, looking along -z; cam_xmat maps camera to world,
// row-major). A world point p is at c = R^T (p - eye) in camera coordinates and lands on
// pixel (W/2 + f c.x / -c.z, H/2 - f c.y / -c.z), with f = (H/2) / tan(fovy/2).
void MujocoEnvironment::render(Canvas& canvas) const {
  const int W = canvas.width(), H = canvas.height();
  const double* eye = data_->cam_xpos;
  const double* R = data_->cam_xmat;
  const double f = 0.5 * H / std::tan(0.5 * model_->cam_fovy[0] * M_PI / 180.0);
  auto to_camera = [&](const double* p, double c[3]) {
    const double d[3] = {p[0] - eye[0], p[1] - eye[1], p[2] - eye[2]};
    for (int k = 0; k < 3; ++k) c[k] = R[0 * 3 + k] * d[0] + R[1 * 3 + k] * d[1] + R[2 * 3 + k] * d[2];
  };
  // The floor (z = 0) per pixel: a 1 m checkerboard of DMC's blue-grey grid, fading into
  // the haze with distance; the sky above the horizon.
  const Color sky_top{0.36, 0.52, 0.70}, sky_bottom{0.72, 0.80, 0.88};
  const Color tile_a{0.22, 0.30, 0.38}, tile_b{0.30, 0.40, 0.50};
  for (int v = 0; v < H; ++v)
    for (int u = 0; u < W; ++u) {
      const double x = (u + 0.5 - 0.5 * W) / f, y = -(v + 0.5 - 0.5 * H) / f;
      const double dir[3] = {R[0] * x + R[1] * y - R[2], R[3] * x + R[4] * y - R[5], R[6] * x + R[7] * y - R[8]};
      if (dir[2] < -1e-6) {
        const double t = -eye[2] / dir[2];
        const double hx = eye[0] + t * dir[0], hy = eye[1] + t * dir[1];
        const bool odd = (static_cast<long>(std::floor(hx)) + static_cast<long>(std::floor(hy))) & 1;
        const Color c = odd ? tile_a : tile_b;
        const double haze = std::min(1.0, t / 30.0);
        canvas.set(u, v, {c.r + (sky_bottom.r - c.r) * haze, c.g + (sky_bottom.g - c.g) * haze,
                          c.b + (sky_bottom.b - c.b) * haze});
      } else {
        const double s = std::clamp(0.5 + 0.5 * y, 0.0, 1.0);
        canvas.set(u, v, {sky_bottom.r + (sky_top.r - sky_bottom.r) * s, sky_bottom.g + (sky_top.g - sky_bottom.g) * s,
                          sky_bottom.b + (sky_top.b - sky_bottom.b) * s});
      }
    }
  // The body's geoms, far to near (painter's order), each in its model colour.
  struct Item {
    double depth;
    int geom;
  };
  std::vector<Item> items;
  for (int g = 0; g < model_->ngeom; ++g) {
    const int type = model_->geom_type[g];
    if (type != mjGEOM_CAPSULE && type != mjGEOM_SPHERE) continue;
    double c[3];
    to_camera(data_->geom_xpos + 3 * g, c);
    if (-c[2] > 1e-3) items.push_back({-c[2], g});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.depth > b.depth; });
  for (const Item& it : items) {
    const int g = it.geom;
    const double* pos = data_->geom_xpos + 3 * g;
    const double* m = data_->geom_xmat + 9 * g;
    const double radius = model_->geom_size[3 * g];
    const double half = model_->geom_type[g] == mjGEOM_CAPSULE ? model_->geom_size[3 * g + 1] : 0.0;
    float rgba[3] = {model_->geom_rgba[4 * g], model_->geom_rgba[4 * g + 1], model_->geom_rgba[4 * g + 2]};
    // The canvas draws the far (left) limbs darker so that they read apart from the near
    // ones; MuJoCo's renderer shows every body geom in DMC's `self` colour and lets the
    // light do that.
    const char* geom_name = model_->names + model_->name_geomadr[g];
    if (std::strncmp(geom_name, "left_", 5) == 0) rgba[0] = 0.50f, rgba[1] = 0.36f, rgba[2] = 0.22f;
    // Nearer geoms (the right-hand limbs) a little lighter, as a light in front would.
    const double shade = std::clamp(1.25 - 0.12 * it.depth, 0.6, 1.2);
    const Color color{std::min(1.0, rgba[0] * shade), std::min(1.0, rgba[1] * shade), std::min(1.0, rgba[2] * shade)};
    double p0[3], p1[3], c0[3], c1[3];
    for (int k = 0; k < 3; ++k) {
      p0[k] = pos[k] - half * m[k * 3 + 2];  // the capsule's axis is its frame's z column
      p1[k] = pos[k] + half * m[k * 3 + 2];
    }
    to_camera(p0, c0);
    to_camera(p1, c1);
    if (-c0[2] < 1e-3 || -c1[2] < 1e-3) continue;
    const double u0 = 0.5 * W + f * c0[0] / -c0[2], v0 = 0.5 * H - f * c0[1] / -c0[2];
    const double u1 = 0.5 * W + f * c1[0] / -c1[2], v1 = 0.5 * H - f * c1[1] / -c1[2];
    const double r = f * radius / it.depth;
    canvas.capsule(u0, v0, u1, v1, r, color);
  }
}

}  // namespace aime::envs
