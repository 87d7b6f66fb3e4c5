// aime plot: line plots of a metrics CSV (training curves) as a PNG, drawn with the envs
// canvas and labelled with stb_easy_font.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "apps/options.h"
#include "autograd/api.h"
#include "apps/line_plot.h"

namespace aime::app {

namespace {

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
  double lo = INFINITY, hi = -INFINITY;
  std::vector<PlotSeries> plotted;
  for (std::size_t k = 0; k < series.size(); ++k) {
    plotted.push_back({columns[k], steps, series[k], {}});
    for (double v : series[k]) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  std::string names;
  for (const auto& c : columns) names += (names.empty() ? "" : ", ") + c;
  write_line_plot(vm["out"].as<std::string>(), plotted, "training step", std::filesystem::path(path).filename().string(), 640, 400,
                  window > 1 ? names + " (mean of " + std::to_string(window) + " steps)" : names);
  std::cout << "wrote " << vm["out"].as<std::string>() << ": " << steps.size() << " rows, range [" << fmt(lo) << ", "
            << fmt(hi) << "]\n";
  return 0;
}

}  // namespace

std::vector<Command> plot_commands() { return {{"plot", "a PNG line plot of metrics CSV columns", plot}}; }

}  // namespace aime::app
