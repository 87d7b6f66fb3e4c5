// aime checkpoint info FILE: what a safetensors checkpoint holds (every tensor with its
// dtype and shape, the metadata), read from the header alone.
#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>

#include "apps/command.h"
#include "apps/options.h"
#include "nn/serialize/safetensors.h"

namespace aime::app {

namespace {

std::string with_commas(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

int checkpoint_info(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("aime checkpoint info FILE: list the tensors and metadata of a safetensors file");
  options.add_options()("help,h", "show this help")("file", po::value<std::string>(), "a .safetensors file");
  po::positional_options_description positional;
  positional.add("file", 1);
  const po::variables_map vm = parse_options(args, options, positional);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("file")) throw UsageError("missing FILE");
  const std::string path = vm["file"].as<std::string>();
  const nn::SafetensorsHeader h = nn::read_safetensors_header(path);

  std::uint64_t elements = 0;
  std::size_t name_width = 6, dtype_width = 5, shape_width = 5;
  for (const auto& e : h.entries) {
    elements += static_cast<std::uint64_t>(numel_of(e.shape));
    name_width = std::max(name_width, e.name.size());
    dtype_width = std::max(dtype_width, e.dtype.size());
    shape_width = std::max(shape_width, shape_str(e.shape).size());
  }
  std::cout << path << ": " << h.entries.size() << " tensors, " << with_commas(elements) << " elements, "
            << with_commas(h.data_size) << " bytes of data, header " << with_commas(h.header_size) << " bytes\n";
  if (!h.metadata.empty()) {
    std::cout << "metadata:\n";
    for (const auto& [key, value] : h.metadata) std::cout << "  " << key << ": " << value << "\n";
  }
  std::cout << std::left << std::setw(static_cast<int>(name_width)) << "tensor" << "  "
            << std::setw(static_cast<int>(dtype_width)) << "dtype" << "  " << std::setw(static_cast<int>(shape_width))
            << "shape" << "  elements\n";
  for (const auto& e : h.entries)
    std::cout << std::setw(static_cast<int>(name_width)) << e.name << "  " << std::setw(static_cast<int>(dtype_width))
              << e.dtype << "  " << std::setw(static_cast<int>(shape_width)) << shape_str(e.shape) << "  "
              << with_commas(static_cast<std::uint64_t>(numel_of(e.shape))) << "\n";
  return 0;
}

}  // namespace

std::vector<Command> checkpoint_commands() {
  return {{"checkpoint info", "list the tensors (dtype, shape) and metadata of a safetensors checkpoint",
           checkpoint_info}};
}

}  // namespace aime::app
