// aime dataset info DIR: what an episode folder holds: episodes, steps, bytes, and per key
// the per-step shape and dtype, from the headers alone (a folder larger than memory, or a
// file that decompresses to gigabytes, answers at once); --ranges streams the data for each
// key's value range.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>

#include "apps/command.h"
#include "apps/options.h"
#include "autograd/api.h"
#include "data/episode.h"
#include "data/episode_file.h"
#include "data/mix.h"
#include "data/png.h"
#include "autograd/ops/shape_ops.h"

namespace aime::app {

namespace {

struct KeyStats {
  Shape step_shape;
  std::string dtype;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::int64_t episodes = 0;
};

int dataset_info(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options(
      "aime dataset info DIR: episodes, steps, keys, shapes and dtypes from the files' headers (no data is read);\n"
      "--ranges also reads every value, one block of rows at a time, for each key's range");
  options.add_options()("help,h", "show this help")("dir", po::value<std::string>(), "a folder of <int>.npz episodes")
      ("ranges", po::bool_switch(), "read the data too and print each key's value range (memory stays bounded)");
  po::positional_options_description positional;
  positional.add("dir", 1);
  const po::variables_map vm = parse_options(args, options, positional);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("dir")) throw UsageError("missing DIR");
  const bool ranges = vm["ranges"].as<bool>();
  const std::string dir = vm["dir"].as<std::string>();
  const auto files = data::list_episode_files(dir);
  std::vector<std::string> order;
  std::map<std::string, KeyStats> stats;
  std::int64_t steps = 0, shortest = std::numeric_limits<std::int64_t>::max(), longest = 0;
  std::uint64_t stored = 0, decoded = 0;
  for (const auto& file : files) {
    const data::EpisodeFile e(file);
    steps += e.length();
    shortest = std::min(shortest, e.length());
    longest = std::max(longest, e.length());
    decoded += e.decoded_bytes();
    for (const auto& key : e.keys()) {
      stored += key.entry.compressed_size;
      const Shape step = key.step_shape();
      const std::string dtype = key.header.boolean ? "bool" : dtype_name(key.header.dtype);
      auto it = stats.find(key.name);
      if (it == stats.end()) {
        order.push_back(key.name);
        it = stats.emplace(key.name, KeyStats{step, dtype}).first;
      } else if (it->second.step_shape != step || it->second.dtype != dtype) {
        throw ValueError(file + ": key '" + key.name + "' is " + shape_str(step) + " " + dtype + ", earlier episodes have " +
                         shape_str(it->second.step_shape) + " " + it->second.dtype);
      }
      KeyStats& s = it->second;
      ++s.episodes;
      if (!ranges) continue;
      e.scan(key, std::uint64_t(4) << 20, [&](const Tensor& rows, std::int64_t) {
        if (rows.numel() == 0) return;
        const Tensor f = rows.to(kFloat64);
        s.min = std::min(s.min, -max(-f).item());
        s.max = std::max(s.max, max(f).item());
      });
    }
  }
  std::cout << dir << ": " << files.size() << " episodes, " << steps << " steps (" << shortest << " to " << longest
            << " per episode); " << std::fixed << std::setprecision(1) << static_cast<double>(stored) / (1 << 20)
            << " MiB on disk, " << static_cast<double>(decoded) / (1 << 20) << " MiB decoded\n";
  std::cout.unsetf(std::ios::fixed);
  std::size_t width = 3;
  for (const auto& key : order) width = std::max(width, key.size());
  std::cout << std::left << std::setw(static_cast<int>(width)) << "key" << "  " << std::setw(16) << "per step" << "  "
            << std::setw(8) << "dtype" << (ranges ? "  range" : "") << "\n";
  for (const auto& key : order) {
    const KeyStats& s = stats[key];
    std::cout << std::setw(static_cast<int>(width)) << key << "  " << std::setw(16) << shape_str(s.step_shape) << "  "
              << std::setw(8) << s.dtype;
    if (ranges) std::cout << "  [" << std::setprecision(6) << s.min << ", " << s.max << "]";
    if (s.episodes != static_cast<std::int64_t>(files.size()))
      std::cout << "  (in " << s.episodes << " of " << files.size() << " episodes)";
    std::cout << "\n";
  }
  return 0;
}

int dataset_strip(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("aime dataset strip DIR --out FILE.png: a PNG strip of one episode's frames");
  options.add_options()("help,h", "show this help")("dir", po::value<std::string>(), "a folder of <int>.npz episodes")
      ("episode", po::value<std::int64_t>()->default_value(0), "episode index (in file order)")
      ("every", po::value<std::int64_t>()->default_value(25), "take every k-th frame")
      ("frames", po::value<std::int64_t>()->default_value(10), "frames per row")
      ("key", po::value<std::string>()->default_value("image"), "the image key")
      ("out", po::value<std::string>(), "the PNG to write");
  po::positional_options_description positional;
  positional.add("dir", 1);
  const po::variables_map vm = parse_options(args, options, positional);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("dir")) throw UsageError("missing DIR");
  if (!vm.count("out")) throw UsageError("missing --out FILE.png");
  const auto files = data::list_episode_files(vm["dir"].as<std::string>());
  const auto index = vm["episode"].as<std::int64_t>(), every = vm["every"].as<std::int64_t>();
  if (index < 0 || index >= static_cast<std::int64_t>(files.size()))
    throw UsageError("--episode must be in [0, " + std::to_string(files.size()) + ")");
  if (every < 1 || vm["frames"].as<std::int64_t>() < 1) throw UsageError("--every and --frames must be >= 1");
  const data::Episode e = data::load_episode(files[static_cast<std::size_t>(index)]);
  const Tensor& frames = e.at(vm["key"].as<std::string>()).data;
  const Tensor picked = slice(frames, 0, 0, frames.size(0), every);
  data::write_png(vm["out"].as<std::string>(), data::image_grid(picked, vm["frames"].as<std::int64_t>()));
  std::cout << "wrote " << picked.size(0) << " frames of " << files[static_cast<std::size_t>(index)] << " to "
            << vm["out"].as<std::string>() << "\n";
  return 0;
}

// "height[0]" -> ("height", 0); "height" -> ("height", 0).
std::pair<std::string, std::int64_t> parse_feature(const std::string& text) {
  const auto open = text.find('[');
  if (open == std::string::npos) return {text, 0};
  const auto close = text.find(']', open);
  try {
    if (close == text.size() - 1) return {text.substr(0, open), std::stoll(text.substr(open + 1, close - open - 1))};
  } catch (const std::exception&) {
  }
  throw UsageError("--features: expected KEY or KEY[INDEX], got '" + text + "'");
}

int dataset_coverage(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options(
      "aime dataset coverage DIR...: how much of a 2-D slice of the state space each folder's steps visit");
  options.add_options()("help,h", "show this help")("dirs", po::value<std::vector<std::string>>(), "episode folders")
      ("features", po::value<std::string>()->default_value("height[0],velocity[1]"),
       "two vector features KEY[INDEX],KEY[INDEX] (default: walker's torso height and forward velocity)")
      ("bins", po::value<std::int64_t>()->default_value(20), "cells per axis, over the range all folders span together");
  po::positional_options_description positional;
  positional.add("dirs", -1);
  const po::variables_map vm = parse_options(args, options, positional);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("dirs")) throw UsageError("missing DIR...");
  const std::string spec = vm["features"].as<std::string>();
  const auto comma = spec.find(',');
  if (comma == std::string::npos) throw UsageError("--features needs two features, KEY[I],KEY[J]");
  const std::array<std::pair<std::string, std::int64_t>, 2> features{parse_feature(spec.substr(0, comma)),
                                                                     parse_feature(spec.substr(comma + 1))};
  const std::int64_t bins = vm["bins"].as<std::int64_t>();
  if (bins < 1 || bins > 4096) throw UsageError("--bins must be in [1, 4096]");
  // Every step's two values, per folder.
  const auto dirs = vm["dirs"].as<std::vector<std::string>>();
  std::vector<std::array<std::vector<double>, 2>> values(dirs.size());
  std::array<double, 2> lo{INFINITY, INFINITY}, hi{-INFINITY, -INFINITY};
  for (std::size_t d = 0; d < dirs.size(); ++d)
    for (const auto& file : data::list_episode_files(dirs[d])) {
      const data::Episode e = data::load_episode(file);
      for (int f = 0; f < 2; ++f) {
        const auto& [key, index] = features[static_cast<std::size_t>(f)];
        if (!e.contains(key)) throw ValueError(file + ": no '" + key + "' (--features)");
        const Tensor t = e.at(key).data.to(kFloat64).contiguous();
        const std::int64_t width = t.numel() / t.size(0);
        if (index < 0 || index >= width)
          throw ValueError(file + ": '" + key + "' has " + std::to_string(width) + " values per step, --features asks for [" +
                           std::to_string(index) + "]");
        const double* v = t.data<double>();
        for (std::int64_t i = 0; i < t.size(0); ++i) {
          const double x = v[i * width + index];
          values[d][static_cast<std::size_t>(f)].push_back(x);
          lo[static_cast<std::size_t>(f)] = std::min(lo[static_cast<std::size_t>(f)], x);
          hi[static_cast<std::size_t>(f)] = std::max(hi[static_cast<std::size_t>(f)], x);
        }
      }
    }
  std::cout << "cells of a " << bins << " x " << bins << " grid over " << features[0].first << "[" << features[0].second
            << "] in [" << lo[0] << ", " << hi[0] << "] and " << features[1].first << "[" << features[1].second << "] in ["
            << lo[1] << ", " << hi[1] << "] that each folder's steps visit:\n";
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    std::vector<char> seen(static_cast<std::size_t>(bins * bins), 0);
    const auto& [a, b] = values[d];
    auto cell = [&](double x, int f) {
      const double span = hi[static_cast<std::size_t>(f)] - lo[static_cast<std::size_t>(f)];
      const auto c = span > 0 ? static_cast<std::int64_t>((x - lo[static_cast<std::size_t>(f)]) / span * static_cast<double>(bins)) : 0;
      return std::min(c, bins - 1);
    };
    for (std::size_t i = 0; i < a.size(); ++i) seen[static_cast<std::size_t>(cell(a[i], 0) * bins + cell(b[i], 1))] = 1;
    const auto visited = std::count(seen.begin(), seen.end(), 1);
    auto spread = [](const std::vector<double>& v) {
      double m = 0, s = 0;
      for (double x : v) m += x;
      m /= static_cast<double>(v.size());
      for (double x : v) s += (x - m) * (x - m);
      return std::sqrt(s / static_cast<double>(v.size()));
    };
    char line[256];
    std::snprintf(line, sizeof line, "  %-40s %5lld of %lld cells (%.1f%%), std %.3f and %.3f over %zu steps\n", dirs[d].c_str(),
                  static_cast<long long>(visited), static_cast<long long>(bins * bins),
                  100.0 * static_cast<double>(visited) / static_cast<double>(bins * bins), spread(a), spread(b), a.size());
    std::cout << line;
  }
  return 0;
}

int dataset_mix(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options(
      "aime dataset mix -i A B ... -o M: concatenate episode folders into one (the original's mix_datasets.py)");
  options.add_options()("help,h", "show this help")
      ("input,i", po::value<std::vector<std::string>>()->multitoken(), "episode folders, in the order to mix them")
      ("output,o", po::value<std::string>(), "the new folder (episodes 0.npz, 1.npz, ...)")
      ("numeric-order", po::bool_switch(),
       "take each folder's files by number (0, 1, 2, ...); by default by name (0, 1, 10, 100, ...), as the original");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("input") || !vm.count("output")) throw UsageError("needs -i DIR... and -o DIR");
  const auto inputs = vm["input"].as<std::vector<std::string>>();
  const data::MixSummary s = data::mix_datasets(inputs, vm["output"].as<std::string>(), vm["numeric-order"].as<bool>());
  for (std::size_t i = 0; i < inputs.size(); ++i) std::cout << inputs[i] << ": " << s.episodes[i] << " episodes\n";
  std::cout << "wrote " << s.total << " episodes to " << vm["output"].as<std::string>() << "\n";
  return 0;
}

}  // namespace

std::vector<Command> dataset_commands() {
  return {{"dataset info", "summarise an episode folder: episodes, steps, keys, shapes, dtypes, value ranges",
           dataset_info},
          {"dataset strip", "write a PNG strip of one episode's frames", dataset_strip},
          {"dataset coverage", "how much of a 2-D slice of the state space each folder's steps visit (exploration)",
           dataset_coverage},
          {"dataset mix", "concatenate episode folders into one, renumbered (the original's mix_datasets.py)", dataset_mix}};
}

}  // namespace aime::app
