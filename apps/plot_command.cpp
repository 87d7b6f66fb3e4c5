// aime plot: line plots of a metrics CSV (training curves) as a PNG, drawn with the envs
// canvas and labelled with stb_easy_font.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "apps/options.h"
#include "autograd/aime.h"
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

int plot(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("aime plot: a PNG line plot of columns of a metrics CSV (x = step)");
  options.add_options()("help,h", "show this help")("csv", po::value<std::string>(), "metrics.csv of a training run")
      ("column", po::value<std::vector<std::string>>()->composing(), "column(s) to plot (default: loss)")
      ("smooth", po::value<std::int64_t>()->default_value(1), "moving-average window in rows")
      ("out", po::value<std::string>(), "PNG to write");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("csv") || !vm.count("out")) throw UsageError("needs --csv FILE and --out FILE.png");
  const std::vector<std::string> columns = vm.count("column") ? vm["column"].as<std::vector<std::string>>()
                                                              : std::vector<std::string>{"loss"};
  const std::string path = vm["csv"].as<std::string>();
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  std::vector<std::size_t> index;
  for (const auto& c : columns) {
    const auto it = std::find(header.begin(), header.end(), c);
    if (it == header.end()) throw ValueError(path + ": no column '" + c + "' (has: " + line + ")");
    index.push_back(static_cast<std::size_t>(it - header.begin()));
  }
  std::vector<double> steps;
  std::vector<std::vector<double>> series(columns.size());
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> row;
    while (std::getline(ss, cell, ',')) row.push_back(std::atof(cell.c_str()));
    if (row.size() != header.size()) continue;
    steps.push_back(row[0]);
    for (std::size_t k = 0; k < index.size(); ++k) series[k].push_back(row[index[k]]);
  }
  if (steps.size() < 2) throw ValueError(path + ": needs at least two rows to plot");
  const auto window = std::max<std::int64_t>(1, vm["smooth"].as<std::int64_t>());
  for (auto& s : series) {
    std::vector<double> smooth(s.size());
    double acc = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      acc += s[i];
      if (i >= static_cast<std::size_t>(window)) acc -= s[i - static_cast<std::size_t>(window)];
      smooth[i] = acc / static_cast<double>(std::min<std::size_t>(i + 1, static_cast<std::size_t>(window)));
    }
    s = smooth;
  }
  const int W = 480, H = 300, left = 60, right = 15, top = 25, bottom = 30;
  envs::Canvas c(W, H);
  c.fill_gradient({1, 1, 1}, {1, 1, 1});
  const envs::Color ink{0.2, 0.2, 0.2};
  const envs::Color palette[] = {{0.12, 0.47, 0.71}, {0.84, 0.15, 0.16}, {0.17, 0.63, 0.17}, {0.58, 0.40, 0.74}};
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : series)
    for (double v : s) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (hi <= lo) hi = lo + 1;
  const double x0 = steps.front(), x1 = steps.back();
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return top + (hi - y) / (hi - lo) * (H - top - bottom); };
  c.capsule(left, top, left, H - bottom, 0.5, ink);
  c.capsule(left, H - bottom, W - right, H - bottom, 0.5, ink);
  text(c, 4, top - 4, fmt(hi), ink);
  text(c, 4, H - bottom - 4, fmt(lo), ink);
  text(c, left, H - bottom + 8, "step " + fmt(x0), ink);
  text(c, W - right - 70, H - bottom + 8, "step " + fmt(x1), ink);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const envs::Color color = palette[k % 4];
    for (std::size_t i = 1; i < steps.size(); ++i)
      c.capsule(px(steps[i - 1]), py(series[k][i - 1]), px(steps[i]), py(series[k][i]), 0.8, color);
    text(c, left + 10 + 120 * static_cast<double>(k), 6, columns[k], color);
  }
  Tensor rgb = Tensor::empty({H, W, 3}, kUInt8);
  c.to_rgb(rgb.data<std::uint8_t>());
  data::write_png(vm["out"].as<std::string>(), rgb);
  std::cout << "wrote " << vm["out"].as<std::string>() << ": " << steps.size() << " rows, range [" << fmt(lo) << ", "
            << fmt(hi) << "]\n";
  return 0;
}

}  // namespace

std::vector<Command> plot_commands() { return {{"plot", "a PNG line plot of metrics CSV columns", plot}}; }

}  // namespace aime::app
