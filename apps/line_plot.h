// Line plots as PNG (training curves, return over training): drawn with the envs canvas and
// labelled with stb_easy_font. Each series has its own x values; a series may carry a band
// (mean +- spread), drawn as a lighter area. Axes with ticks at 1-2-5 steps and their labels,
// a light grid, axis titles, matplotlib's tab10 colours and a legend. Ours rather than
// gnuplot's: no program to install or find at run time, and the same pixels on every
// machine, which the tests can check.
#pragma once
#include <string>
#include <vector>

namespace aime::app {

struct PlotSeries {
  std::string label;
  std::vector<double> x, y;
  std::vector<double> spread;  // empty, or one per point: the band y +- spread
};

// Writes a W x H PNG (ValueError when no series has two points).
void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series, const std::string& x_label,
                     const std::string& title = "", int width = 640, int height = 400, const std::string& y_label = "");

}  // namespace aime::app
