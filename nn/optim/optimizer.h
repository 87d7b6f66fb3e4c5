// Optimizer: the base of SGD, Adam and AdamW (torch.optim's interface: step(), zero_grad(),
// state_dict()/load_state_dict()).
//
// State layout. Every state buffer (Adam's exp_avg, SGD's momentum, ...) is one flat
// tensor [N] over all parameters in order, N = total parameter elements, so that when the
// parameters are packed (nn/flat_parameters.h) a step is one fused kernel over three or
// four flat arrays. Unpacked parameters are updated one by one through views of the same
// flat state, so the saved state is the same either way.
//
// Packed versus unpacked: unpacked, a parameter without a gradient is skipped (PyTorch's
// rule). Packed, every parameter has a gradient view (zero when nothing reached it), so
// all are stepped; with Adam a zero gradient still moves a weight through its momentum,
// exactly as a fused multi-tensor Adam does.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "nn/state_dict.h"

namespace aime::nn {

class Optimizer {
 public:
  Optimizer(std::string name, std::vector<Tensor> params);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter from its current gradient.
  void step();
  // Zeroes the gradients (one fill when packed), or drops them with set_to_none.
  void zero_grad(bool set_to_none = false);

  const std::string& name() const { return name_; }
  const std::vector<Tensor>& params() const { return params_; }
  std::int64_t step_count() const { return step_; }
  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;  // for schedules

  // The state: "step" (int64 scalar) and "state.<i>.<buffer>" per parameter i (views of
  // the flat buffers, e.g. state.0.exp_avg), plus metadata: the optimiser's name and its
  // hyperparameters as strings.
  StateDict state_dict() const;
  Metadata metadata() const;
  // Restores a state saved by the same kind of optimiser over parameters of the same
  // shapes (ValueError naming the key and both shapes otherwise), hyperparameters included.
  void load_state_dict(const StateDict& state, const Metadata& metadata);
  // Both, through a safetensors file (atomic write).
  void save(const std::string& path) const;
  void load(const std::string& path);
  // save() with `extra` keys added to the file's metadata (e.g. the training step it belongs to).
  void save(const std::string& path, const Metadata& extra) const;

 protected:
  // The update of one run of parameters: `param`, `grad` and every state buffer (views of
  // the same elements) are contiguous and of one shape; `step` is 1 on the first update.
  virtual void update(const Tensor& param, const Tensor& grad, const std::map<std::string, Tensor>& state,
                      std::int64_t step) = 0;
  virtual Metadata hyperparameters() const = 0;
  virtual void set_hyperparameters(const Metadata& values) = 0;
  // Declares a state buffer (zeros, allocated at the first step).
  void add_state(const std::string& buffer) { state_names_.push_back(buffer); }
  // Reads a number from saved hyperparameters (ValueError naming the key when absent or bad).
  static double number(const Metadata& values, const std::string& key);
  // A double as text that reads back exactly (17 significant digits).
  static std::string number_string(double value);

 private:
  void allocate_state();

  std::string name_;
  std::vector<Tensor> params_;
  std::vector<std::int64_t> offsets_;  // of each parameter in the flat state
  std::int64_t total_ = 0;
  std::int64_t step_ = 0;
  std::vector<std::string> state_names_;
  std::map<std::string, Tensor> state_;  // buffer name -> flat [total]
};

}  // namespace aime::nn
