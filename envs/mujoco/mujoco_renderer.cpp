#include "envs/mujoco/mujoco_renderer.h"

#include <mujoco/mujoco.h>

#include <cstring>
#include <string>
#include <vector>

#include "autograd/error.h"

#ifdef AIME_HAVE_OSMESA
#include <GL/osmesa.h>
#endif

namespace aime::envs {

#ifndef AIME_HAVE_OSMESA

struct MujocoRenderer::Impl {};
MujocoRenderer::MujocoRenderer(const mjModel_*, int, int, int) {
  throw Error("--renderer mujoco: this aime was built without OSMesa, which MuJoCo's renderer needs on a machine "
              "without a display; install it (Debian: apt-get install libosmesa6-dev) and rebuild "
              "(bash scripts/setup.sh), or use --renderer canvas");
}
MujocoRenderer::~MujocoRenderer() = default;
void MujocoRenderer::render(mjData_*, std::uint8_t*) {}
bool MujocoRenderer::available() { return false; }

#else

struct MujocoRenderer::Impl {
  const mjModel* model = nullptr;
  int width = 0, height = 0;
  OSMesaContext gl = nullptr;
  std::vector<unsigned char> window;  // OSMesa's own framebuffer (MuJoCo draws offscreen)
  mjvScene scene;
  mjvCamera camera;
  mjvOption option;
  mjrContext context;
  std::vector<unsigned char> flipped;

  void make_current() {
    if (!OSMesaMakeCurrent(gl, window.data(), GL_UNSIGNED_BYTE, 1, 1))
      throw Error("MuJoCo renderer: OSMesaMakeCurrent failed");
  }
};

MujocoRenderer::MujocoRenderer(const mjModel_* model, int width, int height, int camera) : impl_(std::make_unique<Impl>()) {
  Impl& r = *impl_;
  r.model = model;
  r.width = width;
  r.height = height;
  if (camera < 0 || camera >= model->ncam)
    throw ValueError("MuJoCo renderer: the model has " + std::to_string(model->ncam) + " cameras, asked for camera " +
                     std::to_string(camera));
  if (width > model->vis.global.offwidth || height > model->vis.global.offheight)
    throw ValueError("MuJoCo renderer: " + std::to_string(width) + "x" + std::to_string(height) +
                     " is larger than the model's offscreen buffer");
  r.gl = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, nullptr);
  if (!r.gl) throw Error("MuJoCo renderer: OSMesaCreateContextExt failed (no software GL?)");
  r.window.assign(4, 0);
  r.make_current();
  mjv_defaultScene(&r.scene);
  mjv_defaultCamera(&r.camera);
  mjv_defaultOption(&r.option);
  mjr_defaultContext(&r.context);
  mjv_makeScene(model, &r.scene, 1000);
  mjr_makeContext(model, &r.context, mjFONTSCALE_150);
  mjr_setBuffer(mjFB_OFFSCREEN, &r.context);
  if (r.context.currentBuffer != mjFB_OFFSCREEN) throw Error("MuJoCo renderer: no offscreen buffer in this GL context");
  r.camera.type = mjCAMERA_FIXED;
  r.camera.fixedcamid = camera;
  r.flipped.resize(static_cast<std::size_t>(width) * height * 3);
}

MujocoRenderer::~MujocoRenderer() {
  if (!impl_) return;
  Impl& r = *impl_;
  if (r.gl) {
    r.make_current();
    mjr_freeContext(&r.context);
    mjv_freeScene(&r.scene);
    OSMesaDestroyContext(r.gl);
  }
}

void MujocoRenderer::render(mjData_* data, std::uint8_t* rgb) {
  Impl& r = *impl_;
  r.make_current();  // several environments may share a thread
  mjr_setBuffer(mjFB_OFFSCREEN, &r.context);
  const mjrRect viewport{0, 0, r.width, r.height};
  mjv_updateScene(r.model, data, &r.option, nullptr, &r.camera, mjCAT_ALL, &r.scene);
  mjr_render(viewport, &r.scene, &r.context);
  mjr_readPixels(r.flipped.data(), nullptr, viewport, &r.context);
  // GL's rows run bottom to top.
  const std::size_t row = static_cast<std::size_t>(r.width) * 3;
  for (int y = 0; y < r.height; ++y)
    std::memcpy(rgb + static_cast<std::size_t>(y) * row, r.flipped.data() + static_cast<std::size_t>(r.height - 1 - y) * row, row);
}

bool MujocoRenderer::available() { return true; }

#endif

}  // namespace aime::envs
