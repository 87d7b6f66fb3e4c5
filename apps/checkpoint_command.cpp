// aime checkpoint info FILE: what a checkpoint holds (every tensor with its dtype and shape,
// the metadata): a safetensors file, read from the header alone, or a PyTorch .pt (read
// whole; 16-bit floats show as float32, the dtype aime loads them as).
// aime convert: model folders from aime's format to the original's (model.pt, config.yaml,
// policy.pt) and back.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "apps/command.h"
#include "apps/options.h"
#include "algorithms/checkpoint.h"
#include "algorithms/policy_checkpoint.h"
#include "nn/serialize/safetensors.h"
#include "nn/serialize/torch_checkpoint.h"

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
  nn::SafetensorsHeader h;
  if (nn::looks_like_torch_checkpoint(path)) {
    for (const auto& [name, t] : nn::load_torch_checkpoint(path)) {
      nn::SafetensorsEntry e;
      e.name = name;
      e.dtype = dtype_name(t.dtype());
      e.shape = t.shape();
      h.entries.push_back(e);
      h.data_size += static_cast<std::uint64_t>(t.numel()) * dtype_size(t.dtype());
    }
  } else {
    h = nn::read_safetensors_header(path);
  }

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

int convert(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options(
      "aime convert: a model folder in the other format: aime's (model.safetensors) to the original's (model.pt, "
      "config.yaml; policy.pt with --policy) or back");
  options.add_options()("help,h", "show this help")
      ("model", po::value<std::string>(), "model folder to convert (either format)")
      ("policy", po::value<std::string>(), "to original: an `aime imitate --algo aime` run folder; its policy becomes "
                                           "policy.pt and its world model model.pt (then --model is not needed)")
      ("to", po::value<std::string>(), "original or aime (default: the other format)")
      ("env", po::value<std::string>(), "to original: the env for config.yaml, e.g. walker-walk (default: what training recorded)")
      ("action-repeat", po::value<std::int64_t>()->default_value(2), "to original: env.action_repeat where training recorded none")
      ("out", po::value<std::string>(), "folder to write");
  const po::variables_map vm = parse_options(args, options);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  if (!vm.count("out")) throw UsageError("missing --out DIR");
  if (!vm.count("model") && !vm.count("policy")) throw UsageError("needs --model DIR (or --policy RUN_DIR)");
  const std::string out = vm["out"].as<std::string>();
  if (vm.count("policy")) {  // an AIME run: its world model and policy, to the original's folder
    if (vm.count("to") && vm["to"].as<std::string>() != "original") throw UsageError("--policy converts to the original's format only");
    algorithms::LoadedPolicy loaded = algorithms::load_policy(vm["policy"].as<std::string>());
    if (loaded.algo != "aime") throw UsageError("--policy: a " + loaded.algo + " policy has no world model; only aime's convert");
    auto model = std::dynamic_pointer_cast<models::WorldModel>(loaded.modules.at(0));
    auto policy = std::dynamic_pointer_cast<models::TanhGaussianPolicy>(loaded.modules.at(1));
    models::OriginalRun run =
        algorithms::original_run_of(loaded.metadata, model->config(), vm["action-repeat"].as<std::int64_t>());
    if (vm.count("env")) run.set_env(vm["env"].as<std::string>());
    algorithms::save_original_model(out, *model, run, policy.get());
    std::cout << "wrote " << out << "/model.pt, policy.pt and config.yaml (" << run.env() << ", "
              << models::setup_name(run.setup) << ")\n";
    return 0;
  }
  const std::string in = vm["model"].as<std::string>();
  const bool from_original = algorithms::is_original_folder(in);
  const std::string to = vm.count("to") ? vm["to"].as<std::string>() : (from_original ? "aime" : "original");
  if (to != "aime" && to != "original") throw UsageError("--to must be aime or original, got '" + to + "'");
  algorithms::LoadedModel loaded = algorithms::load_pretrained_model(in);
  if (to == "original") {
    models::OriginalRun run = algorithms::original_run_of(loaded.metadata, loaded.model->config(),
                                                             vm["action-repeat"].as<std::int64_t>());
    if (vm.count("env")) run.set_env(vm["env"].as<std::string>());
    std::unique_ptr<models::TanhGaussianPolicy> policy;
    if (from_original && std::filesystem::exists(std::filesystem::path(in) / "policy.pt"))
      policy = algorithms::load_original_policy((std::filesystem::path(in) / "policy.pt").string(), *loaded.model);
    algorithms::save_original_model(out, *loaded.model, run, policy.get());
    std::cout << "wrote " << out << "/model.pt and config.yaml (" << run.env() << ", " << models::setup_name(run.setup) << ")\n";
  } else {
    nn::Metadata state;
    for (const auto& [k, v] : loaded.metadata)
      if (k.rfind("world_model.", 0) != 0 && k != "format") state[k] = v;
    if (from_original) {
      state["train.env"] = loaded.metadata.at("original.env");
      state["train.setup"] = loaded.metadata.at("original.setup");
      state["train.seed"] = loaded.metadata.at("original.seed");
    }
    algorithms::save_model_checkpoint(out, *loaded.model, nullptr, state);
    std::string wrote = out + "/model.safetensors";
    if (from_original && std::filesystem::exists(std::filesystem::path(in) / "policy.pt")) {
      const auto policy = algorithms::load_original_policy((std::filesystem::path(in) / "policy.pt").string(), *loaded.model);
      algorithms::save_aime_policy(out, *loaded.model, *policy, state);
      wrote += " and policy.safetensors";
    }
    std::cout << "wrote " << wrote << "\n";
  }
  return 0;
}

}  // namespace

std::vector<Command> checkpoint_commands() {
  return {{"checkpoint info", "list the tensors (dtype, shape) and metadata of a checkpoint (.safetensors or PyTorch .pt)",
           checkpoint_info},
          {"convert", "a model folder in the other format: aime's safetensors <-> the original's model.pt + config.yaml",
           convert}};
}

}  // namespace aime::app
