#include "apps/line_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autograd/api.h"
#include "data/png.h"
#include "envs/canvas.h"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace aime::app {

namespace {

void text(envs::Canvas& c, double x, double y, const std::string& s, envs::Color color) {
  static char buffer[60000];
  const int quads = stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), nullptr, buffer, sizeof buffer);
  const float* v = reinterpret_cast<const float*>(buffer);  // 4 vertices of (x, y, z, rgba) per quad
  for (int q = 0; q < quads; ++q) {
    const float* quad = v + q * 16;
    c.rect(x + quad[0], y + quad[1], x + quad[8], y + quad[9], color);
  }
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series, const std::string& x_label,
                     const std::string& title, int W, int H) {
  const int left = 60, right = 15, top = title.empty() ? 25 : 40, bottom = 30;
  double lo = INFINITY, hi = -INFINITY, x0 = INFINITY, x1 = -INFINITY;
  bool any = false;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size() || (!s.spread.empty() && s.spread.size() != s.y.size()))
      throw ValueError(path + ": series '" + s.label + "' has mismatched x, y and spread lengths");
    any = any || s.x.size() >= 2;
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      const double d = s.spread.empty() ? 0.0 : s.spread[i];
      lo = std::min(lo, s.y[i] - d);
      hi = std::max(hi, s.y[i] + d);
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
    }
  }
  if (!any) throw ValueError(path + ": nothing to plot (every series has fewer than two points)");
  if (hi <= lo) hi = lo + 1;
  if (x1 <= x0) x1 = x0 + 1;
  envs::Canvas c(W, H);
  c.fill_gradient({1, 1, 1}, {1, 1, 1});
  const envs::Color ink{0.2, 0.2, 0.2};
  const envs::Color palette[] = {{0.12, 0.47, 0.71}, {0.84, 0.15, 0.16}, {0.17, 0.63, 0.17},
                                 {0.58, 0.40, 0.74}, {1.00, 0.50, 0.05}, {0.55, 0.34, 0.29}};
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return top + (hi - y) / (hi - lo) * (H - top - bottom); };
  for (std::size_t k = 0; k < series.size(); ++k) {  // bands first, under every line
    const auto& s = series[k];
    if (s.spread.empty()) continue;
    const envs::Color p = palette[k % 6];
    const envs::Color light{0.8 + 0.2 * p.r, 0.8 + 0.2 * p.g, 0.8 + 0.2 * p.b};
    for (std::size_t i = 1; i < s.x.size(); ++i)
      for (double t = 0; t <= 1.0; t += 0.25) {  // vertical strokes filling the band
        const double x = s.x[i - 1] + t * (s.x[i] - s.x[i - 1]);
        const double y = s.y[i - 1] + t * (s.y[i] - s.y[i - 1]);
        const double d = s.spread[i - 1] + t * (s.spread[i] - s.spread[i - 1]);
        c.capsule(px(x), py(y + d), px(x), py(y - d), 1.5, light);
      }
  }
  c.capsule(left, top, left, H - bottom, 0.5, ink);
  c.capsule(left, H - bottom, W - right, H - bottom, 0.5, ink);
  if (!title.empty()) text(c, left, 6, title, ink);
  text(c, 4, top - 4, fmt(hi), ink);
  text(c, 4, H - bottom - 4, fmt(lo), ink);
  text(c, left, H - bottom + 8, x_label + " " + fmt(x0), ink);
  text(c, W - right - 80, H - bottom + 8, x_label + " " + fmt(x1), ink);
  double label_x = left + 10;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const envs::Color color = palette[k % 6];
    for (std::size_t i = 1; i < s.x.size(); ++i) c.capsule(px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]), 0.8, color);
    if (s.x.size() == 1) c.capsule(px(s.x[0]) - 2, py(s.y[0]), px(s.x[0]) + 2, py(s.y[0]), 2.0, color);
    text(c, label_x, top - 16, s.label, color);
    label_x += 8.0 * static_cast<double>(s.label.size()) + 16;
  }
  Tensor rgb = Tensor::empty({H, W, 3}, kUInt8);
  c.to_rgb(rgb.data<std::uint8_t>());
  data::write_png(path, rgb);
}

}  // namespace aime::app
