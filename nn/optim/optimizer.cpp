#include "nn/optim/optimizer.h"

#include <cstdlib>
#include <sstream>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "nn/flat_parameters.h"
#include "nn/serialize/safetensors.h"

namespace aime::nn {

Optimizer::Optimizer(std::string name, std::vector<Tensor> params) : name_(std::move(name)), params_(std::move(params)) {
  if (params_.empty()) throw ValueError(name_ + ": got an empty parameter list");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.defined() || !p.is_leaf() || !p.is_floating_point())
      throw ValueError(name_ + ": parameter " + std::to_string(i) + " must be a defined floating leaf tensor");
    if (p.dtype() != params_[0].dtype() || p.device() != params_[0].device())
      throw ValueError(name_ + ": parameter " + std::to_string(i) + " is " + dtype_name(p.dtype()) + " on " +
                       p.device().str() + ", but parameter 0 is " + dtype_name(params_[0].dtype()) + " on " +
                       params_[0].device().str() + " (one optimiser per dtype and device)");
    offsets_.push_back(total_);
    total_ += p.numel();
  }
}

// Zeros at the first step; afterwards the state follows the parameters if they were moved
// or cast (Module::to), keeping its values.
void Optimizer::allocate_state() {
  const Device device = params_[0].device();
  const DType dtype = params_[0].dtype();
  for (const auto& name : state_names_) {
    auto it = state_.find(name);
    if (it == state_.end())
      state_[name] = zeros({total_}, dtype, device);
    else if (it->second.device() != device || it->second.dtype() != dtype)
      it->second = it->second.to(device).to(dtype).contiguous();
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  allocate_state();
  ++step_;
  const FlatParameters flat = find_flat_parameters(params_);
  if (flat.defined()) {
    update(flat.data, flat.grad, state_, step_);
    return;
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    std::map<std::string, Tensor> views;
    for (const auto& [name, buffer] : state_) views[name] = buffer.narrow(0, offsets_[i], p.numel()).view(p.shape());
    // The kernels take contiguous runs; a strided parameter is updated through a copy.
    Tensor data = p.detach();
    Tensor work = data.contiguous();
    update(work, g.contiguous(), views, step_);
    if (!work.shares_storage_with(data)) data.copy_(work);
  }
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  const FlatParameters flat = find_flat_parameters(params_);
  if (flat.defined() && !set_to_none) {
    Tensor g = flat.grad;
    g.zero_();
    return;
  }
  for (Tensor p : params_) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (set_to_none)
      p.set_grad(Tensor());
    else
      g.zero_();
  }
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  out.set("step", scalar_tensor(static_cast<double>(step_), kInt64));
  if (state_.empty()) return out;
  for (std::size_t i = 0; i < params_.size(); ++i)
    for (const auto& [name, buffer] : state_)
      out.set("state." + std::to_string(i) + "." + name,
              buffer.narrow(0, offsets_[i], params_[i].numel()).view(params_[i].shape()));
  return out;
}

Metadata Optimizer::metadata() const {
  Metadata m = hyperparameters();
  m["optimizer"] = name_;
  m["num_params"] = std::to_string(params_.size());
  return m;
}

double Optimizer::number(const Metadata& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end()) throw ValueError("optimizer state: hyperparameter '" + key + "' is missing");
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0')
    throw ValueError("optimizer state: hyperparameter '" + key + "' is not a number: '" + it->second + "'");
  return v;
}

std::string Optimizer::number_string(double value) {
  std::ostringstream os;
  os.precision(17);
  os << value;
  return os.str();
}

void Optimizer::load_state_dict(const StateDict& state, const Metadata& metadata) {
  auto it = metadata.find("optimizer");
  if (it == metadata.end() || it->second != name_)
    throw ValueError(name_ + "::load_state_dict: the state was saved by optimiser '" +
                     (it == metadata.end() ? std::string("(none)") : it->second) + "'");
  if (number(metadata, "num_params") != static_cast<double>(params_.size()))
    throw ValueError(name_ + "::load_state_dict: the state is for " + metadata.at("num_params") +
                     " parameters, this optimiser has " + std::to_string(params_.size()));
  const std::int64_t step = static_cast<std::int64_t>(state.at("step").item());
  // Check every buffer before touching anything.
  const bool has_buffers = step > 0 && !state_names_.empty();
  for (std::size_t i = 0; has_buffers && i < params_.size(); ++i)
    for (const auto& name : state_names_) {
      const std::string key = "state." + std::to_string(i) + "." + name;
      if (!state.contains(key)) throw ValueError(name_ + "::load_state_dict: missing key " + key);
      if (state.at(key).shape() != params_[i].shape())
        throw ShapeError(name_ + "::load_state_dict: size mismatch for " + key + ": the state has " +
                         shape_str(state.at(key).shape()) + ", parameter " + std::to_string(i) + " has " +
                         shape_str(params_[i].shape()));
    }
  set_hyperparameters(metadata);
  NoGradGuard no_grad;
  step_ = step;
  state_.clear();
  if (!has_buffers) return;
  allocate_state();
  for (std::size_t i = 0; i < params_.size(); ++i)
    for (auto& [name, buffer] : state_) {
      Tensor view = buffer.narrow(0, offsets_[i], params_[i].numel()).view(params_[i].shape());
      view.copy_(state.at("state." + std::to_string(i) + "." + name).to(buffer.device()));
    }
}

void Optimizer::save(const std::string& path) const { save_safetensors(path, state_dict(), metadata()); }

void Optimizer::save(const std::string& path, const Metadata& extra) const {
  Metadata m = metadata();
  for (const auto& [k, v] : extra) m[k] = v;
  save_safetensors(path, state_dict(), m);
}

void Optimizer::load(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  load_state_dict(file.tensors, file.metadata);
}

}  // namespace aime::nn
