// Shared option parsing for the subcommands: Boost.Program_options errors become
// UsageError with Boost's message.
#pragma once
#include <boost/program_options.hpp>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <type_traits>
#include <vector>

#include "apps/command.h"
#include "autograd/error.h"

namespace aime::app {

inline boost::program_options::variables_map parse_options(
    const std::vector<std::string>& args, const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description& positional = {}) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

// A real as printf's %g ("0.0003").
inline std::string shortest(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// A flag whose default is a library option's own (pass the default-constructed struct's
// field: the CLI never restates a default). Reals show in help as %g ("0.0003", not Boost's
// 17 digits).
template <typename T>
boost::program_options::typed_value<T>* default_of(const T& library_default) {
  auto* v = boost::program_options::value<T>();
  if constexpr (std::is_floating_point_v<T>) {
    return v->default_value(library_default, shortest(static_cast<double>(library_default)));
  } else {
    return v->default_value(library_default);
  }
}

// A byte count as people write it: "4G", "512M", "64K", "1000" (binary units, K/M/G/T, an
// optional trailing "B" or "iB"); UsageError naming the flag otherwise.
inline std::uint64_t parse_byte_size(const std::string& text, const std::string& flag) {
  std::size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (const std::exception&) {
    throw UsageError(flag + ": expected a size such as 512M or 4G, got '" + text + "'");
  }
  std::string unit = text.substr(pos);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && (unit.substr(1) == "B" || unit.substr(1) == "IB")) unit = unit.substr(0, 1);
  double scale = 1;
  if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty() && unit != "B") throw UsageError(flag + ": unknown unit in '" + text + "' (K, M, G or T)");
  if (!(v >= 0) || v * scale > 1.8e19) throw UsageError(flag + ": expected a size >= 0, got '" + text + "'");
  return static_cast<std::uint64_t>(v * scale);
}

// Reads --config files (INI, Boost's format) under the command line's values. Boost keeps
// the first value it stores, so the files are read last to first: a later --config
// overrides an earlier one, and a flag overrides them all.
inline void read_configs(boost::program_options::variables_map& vm,
                         const boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  if (!vm.count("config")) return;
  const auto paths = vm["config"].as<std::vector<std::string>>();
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    const std::string& path = *it;
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot open the config file");
    try {
      po::store(po::parse_config_file(in, options), vm);
    } catch (const po::error& e) {
      throw UsageError(path + ": " + e.what());
    }
  }
  po::notify(vm);
}

}  // namespace aime::app
