// Canvas: a tiny antialiased software rasteriser for the built-in environments' 64x64 RGB
// frames. Shapes are drawn by their signed distance: a pixel's coverage of a shape with
// boundary distance d (pixels, negative inside) is clamp(0.5 - d, 0, 1), i.e. one pixel of
// antialiasing, and the colour is blended by that coverage. Each shape visits only the
// pixels of its bounding box, so a frame of a few shapes costs a few microseconds.
#pragma once
#include <cstdint>
#include <vector>

namespace aime::envs {

struct Color {
  double r, g, b;  // in [0, 1]
};

class Canvas {
 public:
  Canvas(int width, int height) : width_(width), height_(height), pixels_(static_cast<std::size_t>(width * height)) {}
  int width() const { return width_; }
  int height() const { return height_; }

  // A vertical gradient from `top` to `bottom` (the sky).
  void fill_gradient(Color top, Color bottom);
  // Shapes in pixel coordinates (x right, y down; pixel centres at +0.5).
  void disc(double cx, double cy, double radius, Color color);
  // A segment with round caps and the given half-width (a capsule).
  void capsule(double x0, double y0, double x1, double y1, double half_width, Color color);
  // An axis-aligned rectangle.
  void rect(double x0, double y0, double x1, double y1, Color color);

  // One pixel, no blending (per-pixel backgrounds such as a perspective floor).
  void set(int x, int y, Color color) { pixels_[static_cast<std::size_t>(y * width_ + x)] = color; }

  // HWC uint8 RGB into out (width * height * 3 bytes).
  void to_rgb(std::uint8_t* out) const;
  Color at(int x, int y) const { return pixels_[static_cast<std::size_t>(y * width_ + x)]; }

 private:
  template <class Distance>
  void shade(double x0, double y0, double x1, double y1, Color color, Distance distance);

  int width_, height_;
  std::vector<Color> pixels_;
};

}  // namespace aime::envs
