#include "apps/line_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

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
  std::snprintf(buf, sizeof buf, "%.6g", std::abs(v) < 1e-12 ? 0.0 : v);  // 25000, not 2.5e+04
  return buf;
}

int text_width(const std::string& s) { return stb_easy_font_width(const_cast<char*>(s.c_str())); }

// "Nice" ticks (Heckbert, Graphics Gems I: 1, 2 or 5 times a power of ten) covering
// [lo, hi] with about `count` intervals; lo and hi are widened to the outer ticks.
std::vector<double> nice_ticks(double& lo, double& hi, int count) {
  const double raw = (hi - lo) / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / power;
  const double step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * power;
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double t = lo; t <= hi + step * 1e-6; t += step) ticks.push_back(t);
  return ticks;
}

}  // namespace

void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series, const std::string& x_label,
                     const std::string& title, int W, int H, const std::string& y_label) {
  double lo = INFINITY, hi = -INFINITY, x0 = INFINITY, x1 = -INFINITY;
  bool any = false;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size() || (!s.spread.empty() && s.spread.size() != s.y.size()))
      throw ValueError(path + ": series '" + s.label + "' has mismatched x, y and spread lengths");
    any = any || s.x.size() >= 2;
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      const double d = s.spread.empty() ? 0.0 : s.spread[i];
      if (!std::isfinite(s.y[i]) || !std::isfinite(s.x[i])) continue;
      lo = std::min(lo, s.y[i] - d);
      hi = std::max(hi, s.y[i] + d);
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
    }
  }
  if (!any || !std::isfinite(lo)) throw ValueError(path + ": nothing to plot (every series has fewer than two points)");
  if (hi <= lo) hi = lo + 1;
  if (x1 <= x0) x1 = x0 + 1;
  const std::vector<double> y_ticks = nice_ticks(lo, hi, 5), x_ticks = nice_ticks(x0, x1, 6);
  // Margins: the widest y tick label on the left, tick labels and the x title below, the
  // title and the y title above.
  int label_width = 0;
  for (double t : y_ticks) label_width = std::max(label_width, text_width(fmt(t)));
  const int left = 14 + label_width, right = 16, top = (title.empty() ? 12 : 28) + (y_label.empty() ? 0 : 14),
            bottom = 40;
  envs::Canvas c(W, H);
  c.fill_gradient({1, 1, 1}, {1, 1, 1});
  const envs::Color ink{0.15, 0.15, 0.15}, grid{0.88, 0.88, 0.88};
  // matplotlib's tab10 colours, in its order.
  const envs::Color palette[] = {{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17}, {0.84, 0.15, 0.16},
                                 {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}};
  const std::size_t colours = sizeof palette / sizeof palette[0];
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return top + (hi - y) / (hi - lo) * (H - top - bottom); };
  // Grid and ticks.
  for (double t : y_ticks) {
    c.capsule(left, py(t), W - right, py(t), 0.35, grid);
    c.capsule(left - 4, py(t), left, py(t), 0.5, ink);
    const std::string label = fmt(t);
    text(c, left - 6 - text_width(label), py(t) - 3, label, ink);
  }
  for (double t : x_ticks) {
    c.capsule(px(t), top, px(t), H - bottom, 0.35, grid);
    c.capsule(px(t), H - bottom, px(t), H - bottom + 4, 0.5, ink);
    const std::string label = fmt(t);
    const double x = std::min(px(t) - text_width(label) / 2.0, W - 2.0 - text_width(label));  // inside the image
    text(c, x, H - bottom + 7, label, ink);
  }
  for (std::size_t k = 0; k < series.size(); ++k) {  // bands next, under every line
    const auto& s = series[k];
    if (s.spread.empty()) continue;
    const envs::Color p = palette[k % colours];
    const envs::Color light{0.75 + 0.25 * p.r, 0.75 + 0.25 * p.g, 0.75 + 0.25 * p.b};
    for (std::size_t i = 1; i < s.x.size(); ++i) {
      // Vertical strokes one pixel apart fill the band between two points, however far apart.
      const int strokes = std::max(1, static_cast<int>(std::ceil(std::abs(px(s.x[i]) - px(s.x[i - 1])))));
      for (int j = 0; j <= strokes; ++j) {
        const double t = static_cast<double>(j) / strokes;
        const double x = s.x[i - 1] + t * (s.x[i] - s.x[i - 1]);
        const double y = s.y[i - 1] + t * (s.y[i] - s.y[i - 1]);
        const double d = s.spread[i - 1] + t * (s.spread[i] - s.spread[i - 1]);
        c.capsule(px(x), py(y + d), px(x), py(y - d), 0.8, light);
      }
    }
  }
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const envs::Color color = palette[k % colours];
    for (std::size_t i = 1; i < s.x.size(); ++i) c.capsule(px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]), 0.9, color);
    if (s.x.size() == 1) c.capsule(px(s.x[0]) - 2, py(s.y[0]), px(s.x[0]) + 2, py(s.y[0]), 2.0, color);
  }
  // The frame, the titles.
  c.capsule(left, top, left, H - bottom, 0.5, ink);
  c.capsule(left, H - bottom, W - right, H - bottom, 0.5, ink);
  c.capsule(left, top, W - right, top, 0.3, ink);
  c.capsule(W - right, top, W - right, H - bottom, 0.3, ink);
  if (!title.empty()) text(c, (W - text_width(title)) / 2.0, 8, title, ink);
  if (!y_label.empty()) text(c, 6, top - 13, y_label, ink);
  if (!x_label.empty()) text(c, left + (W - left - right - text_width(x_label)) / 2.0, H - 14, x_label, ink);
  // The legend: a boxed list in the plot's top-right corner (a line sample and the label).
  int legend_width = 0;
  for (const auto& s : series) legend_width = std::max(legend_width, text_width(s.label));
  if (legend_width > 0) {
    const double bx1 = W - right - 6, bx0 = bx1 - legend_width - 34, by0 = top + 6;
    const double by1 = by0 + 12.0 * static_cast<double>(series.size()) + 6;
    for (double y = by0; y <= by1; y += 1.0) c.capsule(bx0, y, bx1, y, 0.6, {1, 1, 1});
    c.capsule(bx0, by0, bx1, by0, 0.3, grid);
    c.capsule(bx0, by1, bx1, by1, 0.3, grid);
    c.capsule(bx0, by0, bx0, by1, 0.3, grid);
    c.capsule(bx1, by0, bx1, by1, 0.3, grid);
    for (std::size_t k = 0; k < series.size(); ++k) {
      const double y = by0 + 9 + 12.0 * static_cast<double>(k);
      c.capsule(bx0 + 6, y, bx0 + 24, y, 1.2, palette[k % colours]);
      text(c, bx0 + 30, y - 3, series[k].label, ink);
    }
  }
  Tensor rgb = Tensor::empty({H, W, 3}, kUInt8);
  c.to_rgb(rgb.data<std::uint8_t>());
  data::write_png(path, rgb);
}

}  // namespace aime::app
