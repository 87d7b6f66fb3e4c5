// MuJoCo's own renderer, headless: what DeepMind Control's pixels are (mjv_updateScene +
// mjr_render into an offscreen buffer, mjr_readPixels, rows flipped; docs/dmc.md), through
// an OSMesa software GL context (Debian libosmesa6-dev, llvmpipe), so frames match the
// original's datasets and released models. Built when OSMesa is found
// (AIME_MUJOCO_RENDERER=AUTO|ON|OFF); otherwise constructing one throws an Error that says
// what to install. No GL or MuJoCo header leaks out of this file.
#pragma once
#include <cstdint>
#include <memory>

struct mjModel_;
struct mjData_;

namespace aime::envs {

class MujocoRenderer {
 public:
  // One GL context and scene for `model` (which must outlive the renderer), frames of
  // width x height from camera `camera` (DMC: 0, the tracking side camera).
  MujocoRenderer(const mjModel_* model, int width, int height, int camera = 0);
  ~MujocoRenderer();
  MujocoRenderer(const MujocoRenderer&) = delete;
  MujocoRenderer& operator=(const MujocoRenderer&) = delete;

  // The frame of `data`'s current state (positions must be up to date: mj_forward) as HWC
  // RGB, top row first, into rgb (width * height * 3 bytes).
  void render(mjData_* data, std::uint8_t* rgb);

  // Whether this build has the renderer (OSMesa was found).
  static bool available();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aime::envs
