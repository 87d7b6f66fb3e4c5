#include "envs/canvas.h"

#include <algorithm>
#include <cmath>

namespace aime::envs {

void Canvas::fill_gradient(Color top, Color bottom) {
  for (int y = 0; y < height_; ++y) {
    const double t = (y + 0.5) / height_;
    const Color c{top.r + (bottom.r - top.r) * t, top.g + (bottom.g - top.g) * t, top.b + (bottom.b - top.b) * t};
    std::fill(pixels_.begin() + y * width_, pixels_.begin() + (y + 1) * width_, c);
  }
}

template <class Distance>
void Canvas::shade(double x0, double y0, double x1, double y1, Color color, Distance distance) {
  const int ix0 = std::max(0, static_cast<int>(std::floor(x0 - 1))), iy0 = std::max(0, static_cast<int>(std::floor(y0 - 1)));
  const int ix1 = std::min(width_ - 1, static_cast<int>(std::ceil(x1 + 1)));
  const int iy1 = std::min(height_ - 1, static_cast<int>(std::ceil(y1 + 1)));
  for (int y = iy0; y <= iy1; ++y)
    for (int x = ix0; x <= ix1; ++x) {
      const double coverage = std::clamp(0.5 - distance(x + 0.5, y + 0.5), 0.0, 1.0);
      if (coverage <= 0.0) continue;
      Color& p = pixels_[static_cast<std::size_t>(y * width_ + x)];
      p.r += (color.r - p.r) * coverage;
      p.g += (color.g - p.g) * coverage;
      p.b += (color.b - p.b) * coverage;
    }
}

void Canvas::disc(double cx, double cy, double radius, Color color) {
  shade(cx - radius, cy - radius, cx + radius, cy + radius, color,
        [&](double x, double y) { return std::hypot(x - cx, y - cy) - radius; });
}

void Canvas::capsule(double ax, double ay, double bx, double by, double half_width, Color color) {
  const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  shade(std::min(ax, bx) - half_width, std::min(ay, by) - half_width, std::max(ax, bx) + half_width,
        std::max(ay, by) + half_width, color, [&](double x, double y) {
          const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
          return std::hypot(x - (ax + t * dx), y - (ay + t * dy)) - half_width;
        });
}

void Canvas::rect(double x0, double y0, double x1, double y1, Color color) {
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, hx = std::fabs(x1 - x0) / 2, hy = std::fabs(y1 - y0) / 2;
  shade(cx - hx, cy - hy, cx + hx, cy + hy, color, [&](double x, double y) {
    const double qx = std::fabs(x - cx) - hx, qy = std::fabs(y - cy) - hy;
    return std::hypot(std::max(qx, 0.0), std::max(qy, 0.0)) + std::min(std::max(qx, qy), 0.0);
  });
}

void Canvas::to_rgb(std::uint8_t* out) const {
  for (std::size_t i = 0; i < pixels_.size(); ++i) {
    out[3 * i] = static_cast<std::uint8_t>(std::clamp(pixels_[i].r, 0.0, 1.0) * 255.0 + 0.5);
    out[3 * i + 1] = static_cast<std::uint8_t>(std::clamp(pixels_[i].g, 0.0, 1.0) * 255.0 + 0.5);
    out[3 * i + 2] = static_cast<std::uint8_t>(std::clamp(pixels_[i].b, 0.0, 1.0) * 255.0 + 0.5);
  }
}

}  // namespace aime::envs
