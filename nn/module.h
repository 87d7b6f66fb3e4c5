// Module: the unit that owns parameters (after torch.nn.Module and flashlight). A module
// holds named parameters, named buffers (state that is saved but not trained, such as an
// RSSM's initial state) and named sub-modules, and nothing else: the computation is a
// layer's forward(). Names are hierarchical: a parameter `weight` of sub-module `conv1` of
// sub-module `encoder` is `encoder.conv1.weight`, the key it has in state_dict() and in a
// safetensors checkpoint, as in PyTorch.
//
//   class Head : public nn::Module {
//    public:
//     Head() : Module("Head") {
//       fc = register_module("fc", std::make_shared<nn::Linear>(640, 6));
//       scale = register_parameter("scale", ones({6}));
//     }
//     Tensor forward(const Tensor& x) { return fc->forward(x) * scale; }
//     std::shared_ptr<nn::Linear> fc;
//     Tensor scale;
//   };
//
// A layer keeps plain Tensor handles to its parameters (`fc->weight`). Moving a module
// (to(device), to(dtype), flatten_parameters) rebinds each parameter's data in place with
// Tensor::set_data, so those handles stay valid; copying a Module is disabled because two
// modules sharing handles would be a trap.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"
#include "nn/state_dict.h"

namespace aime::nn {

using NamedTensor = std::pair<std::string, Tensor>;

// What load_state_dict found besides the keys it loaded (empty in strict mode: there a
// mismatch throws).
struct LoadResult {
  std::vector<std::string> missing_keys;     // in the module, not in the state dict
  std::vector<std::string> unexpected_keys;  // in the state dict, not in the module
};

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // "Linear", "GRUCell", ...: the class name, as printed.
  const std::string& type_name() const { return type_name_; }

  // ---- registration (normally in a constructor) ----
  // Names are non-empty, contain no '.', and are unique within this module across
  // parameters, buffers and children. A parameter is a floating leaf; requires_grad is
  // set on it (off with requires_grad = false, e.g. for a frozen embedding). Returns the
  // handle the layer keeps.
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- traversal (depth first, registration order: the order of state_dict) ----
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<NamedTensor> named_parameters(bool recurse = true) const;
  std::vector<NamedTensor> named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  // This module (named "") and every descendant, with their dotted names.
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  // Number of parameter elements (only those that require grad when trainable_only).
  std::int64_t num_parameters(bool trainable_only = false) const;

  // ---- state ----
  // Moves every parameter and buffer (gradients too) to a device, or casts the floating
  // ones to a floating dtype, in place. Any flat packing is undone: pack again after.
  void to(Device device);
  void to(DType dtype);
  // The device of the first parameter or buffer (CPU for a module without any).
  Device device() const;
  // Training mode (the default) versus evaluation mode, for layers that behave
  // differently; applies to every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Zeroes every parameter's gradient in place (keeping a flat gradient buffer alive), or
  // drops the gradients when set_to_none.
  void zero_grad(bool set_to_none = false);
  // Freezing: requires_grad off (or back on) for every parameter of the whole module.
  void requires_grad_(bool requires = true);
  void freeze() { requires_grad_(false); }
  void unfreeze() { requires_grad_(true); }

  // ---- checkpoints ----
  // Parameters then buffers of each module, depth first; the tensors are detached handles
  // sharing this module's storage (save them, or clone to keep a snapshot).
  StateDict state_dict() const;
  // Copies values into this module's tensors in place (cast to their dtype, moved to their
  // device). A key whose shape differs always fails, naming the key and both shapes; with
  // strict, a missing or unexpected key fails too. Nothing is copied unless everything
  // checks out.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);

  // PyTorch's printout: the type with extra_repr(), children indented beneath.
  std::string repr() const;

 protected:
  // One line of settings shown in repr(), e.g. "in_features=3, out_features=4, bias=True".
  virtual std::string extra_repr() const { return ""; }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  void collect(const std::string& prefix, bool recurse, bool buffers, std::vector<NamedTensor>& out) const;
  void repr_into(std::string& out, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// A module whose forward maps one tensor to one tensor: what Sequential chains.
class UnaryModule : public Module {
 public:
  using Module::Module;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace aime::nn
