#include "nn/module.h"

#include <ostream>
#include <sstream>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"

namespace aime::nn {

void Module::check_new_name(const std::string& name, const char* what) const {
  if (name.empty() || name.find('.') != std::string::npos)
    throw ValueError(type_name_ + "::register_" + what + ": name '" + name + "' must be non-empty and contain no '.'");
  auto taken = [&](const auto& list) {
    for (const auto& item : list)
      if (item.first == name) return true;
    return false;
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_))
    throw ValueError(type_name_ + "::register_" + what + ": name '" + name + "' is already taken");
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name, "parameter");
  if (!value.defined() || !value.is_floating_point() || !value.is_leaf())
    throw ValueError(type_name_ + "::register_parameter: '" + name + "' must be a defined floating leaf tensor");
  value.requires_grad_(requires_grad);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name, "buffer");
  if (!value.defined()) throw ValueError(type_name_ + "::register_buffer: '" + name + "' is undefined");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  if (!module) throw ValueError(type_name_ + "::register_module: '" + name + "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool recurse, bool buffers, std::vector<NamedTensor>& out) const {
  for (const auto& [name, t] : buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", true, buffers, out);
}

std::vector<NamedTensor> Module::named_parameters(bool recurse) const {
  std::vector<NamedTensor> out;
  collect("", recurse, false, out);
  return out;
}

std::vector<NamedTensor> Module::named_buffers(bool recurse) const {
  std::vector<NamedTensor> out;
  collect("", recurse, true, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& item : named_parameters(recurse)) out.push_back(item.second);
  return out;
}

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, const Module*>> out{{"", this}};
  for (const auto& [name, child] : children_)
    for (const auto& [sub, m] : child->named_modules()) out.emplace_back(sub.empty() ? name : name + "." + sub, m);
  return out;
}

std::int64_t Module::num_parameters(bool trainable_only) const {
  std::int64_t n = 0;
  for (const auto& p : parameters())
    if (!trainable_only || p.requires_grad()) n += p.numel();
  return n;
}

namespace {
// Rebinds t's data to f(t) and its gradient to f(grad), keeping the handle.
template <class F> void rebind(Tensor t, F f) {
  NoGradGuard no_grad;
  const Tensor grad = t.grad();
  t.set_data(f(t.detach()));
  if (grad.defined()) t.set_grad(f(grad).contiguous());
}
}  // namespace

void Module::to(Device device) {
  auto move = [&](const Tensor& x) { return x.to(device); };
  for (auto& item : named_parameters()) rebind(item.second, move);
  for (auto& item : named_buffers()) rebind(item.second, move);
}

void Module::to(DType dtype) {
  if (!is_floating(dtype)) throw DTypeError(type_name_ + "::to: modules cast only to a floating dtype, got " + dtype_name(dtype));
  auto cast = [&](const Tensor& x) { return x.to(dtype).contiguous(); };
  for (auto& item : named_parameters()) rebind(item.second, cast);
  for (auto& item : named_buffers())
    if (item.second.is_floating_point()) rebind(item.second, cast);
}

Device Module::device() const {
  const auto params = named_parameters();
  if (!params.empty()) return params.front().second.device();
  const auto buffers = named_buffers();
  return buffers.empty() ? Device::cpu() : buffers.front().second.device();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& child : children_) child.second->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& p : parameters()) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      NoGradGuard no_grad;
      g.zero_();
    }
  }
}

void Module::requires_grad_(bool requires) {
  for (auto& p : parameters()) p.requires_grad_(requires);
}

StateDict Module::state_dict() const {
  StateDict out;
  std::vector<NamedTensor> all;
  // Per module: parameters then buffers (PyTorch's order), depth first.
  for (const auto& [prefix, m] : named_modules()) {
    const std::string p = prefix.empty() ? "" : prefix + ".";
    for (const auto& [name, t] : m->parameters_) out.set(p + name, t.detach());
    for (const auto& [name, t] : m->buffers_) out.set(p + name, t.detach());
  }
  return out;
}

LoadResult Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  LoadResult result;
  std::string mismatches;
  for (const auto& [name, dst] : own) {
    if (!state.contains(name)) {
      result.missing_keys.push_back(name);
      continue;
    }
    const Tensor& src = state.at(name);
    if (src.shape() != dst.shape())
      mismatches += "\n  size mismatch for " + name + ": the state dict has " + shape_str(src.shape()) +
                    ", this module has " + shape_str(dst.shape());
  }
  for (const auto& [name, src] : state)
    if (!own.contains(name)) result.unexpected_keys.push_back(name);
  auto join = [](const std::vector<std::string>& keys) {
    std::string s;
    for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
    return s;
  };
  if (strict && !result.missing_keys.empty()) mismatches += "\n  missing keys: " + join(result.missing_keys);
  if (strict && !result.unexpected_keys.empty()) mismatches += "\n  unexpected keys: " + join(result.unexpected_keys);
  if (!mismatches.empty()) throw ValueError(type_name_ + "::load_state_dict: nothing loaded:" + mismatches);
  NoGradGuard no_grad;
  for (const auto& [name, dst] : own)
    if (state.contains(name)) {
      Tensor target = dst;  // a detached handle sharing the module's storage
      target.copy_(state.at(name).to(dst.device()));
    }
  return result;
}

void Module::repr_into(std::string& out, int indent) const {
  out += type_name_ + "(" + extra_repr();
  if (children_.empty()) {
    out += ")";
    return;
  }
  const std::string pad(indent + 2, ' ');
  for (const auto& [name, child] : children_) {
    out += "\n" + pad + "(" + name + "): ";
    child->repr_into(out, indent + 2);
  }
  out += "\n" + std::string(indent, ' ') + ")";
}

std::string Module::repr() const {
  std::string out;
  repr_into(out, 0);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.repr(); }

}  // namespace aime::nn
