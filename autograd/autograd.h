// The reverse-mode autodiff engine, small enough to read in one sitting (after micrograd).
//
// The graph is just nodes with a backward closure. Each recorded op makes one Node for its
// output; the Node points at the Nodes of its inputs (or at the leaf tensors that collect
// gradients), so the graph lives exactly as long as some output that needs it.
// backward() orders the nodes topologically from the root, feeds each closure the sum of
// its output's incoming gradients, and passes the results down its edges. Afterwards each
// closure is released (unless retain_graph), which frees saved activations: memory does not
// grow across training iterations.
//
// Writing an op's backward: see `record` below. Closures run with grad mode off and are
// written in terms of other ops, so they run on every backend.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "autograd/tensor.h"

namespace aime {

// Where a gradient flows: into another node (an intermediate input) or into a leaf.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  bool defined() const { return node || leaf; }
};

// grads of the op's inputs (aligned with them; undefined where not needed), from the
// gradient of its output.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* name;  // "MulBackward", shown by operator<< as grad_fn=<MulBackward>
  std::vector<Edge> edges;
  BackwardFn backward;
  Shape output_shape;  // checked against the incoming gradient
  DType output_dtype;
  // Set by views of part of their one input (narrow, slice): the view's place inside a
  // gradient of the input's shape. backward() then adds the incoming gradient into that
  // place of the input's pending gradient (zero-filled once) instead of running `backward`,
  // which would pad it to a dense input-sized tensor per view: T steps that each select from
  // one [T, B, ...] sequence then cost O(T), not O(T^2), in time and memory.
  std::function<Tensor(const Tensor& input_grad)> view_of_input;

  Node(const char* name, std::vector<Edge> edges, BackwardFn backward, Shape shape, DType dtype);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};

// Grad mode: when off, ops record nothing (inference, optimiser steps, backward itself).
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and some input requires grad: the op should call `record`.
bool any_requires_grad(std::initializer_list<Tensor> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Attaches a backward node to `output` (a freshly computed tensor) if any input requires
// grad and grad mode is on; returns `output` either way. The closure must not capture
// `output` itself (that would be a reference cycle): capture `output.detach()`.
//
//   Tensor y = <compute>;
//   return record(y, "ExpBackward", {x}, [yd = y.detach()](const Tensor& g) {
//     return std::vector<Tensor>{g * yd};   // d exp(x)/dx = exp(x)
//   });
Tensor record(Tensor output, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward);

// The engine (Tensor::backward calls this).
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

// For a backward closure whose gradient for the leaf `leaf` is a^T b (a [rows, P], b
// [rows, Q], the leaf [P, Q]: a linear layer's weight, dW = dy^T x): hands the product to
// the engine, which stacks the factors of several such calls for the same leaf and forms
// their sum as one product over all their rows (flushed every kDeferredRows rows and when
// backward ends). A recurrence uses its weights once per step, and T products of K = B
// rows run at a fraction of the GEMM's rate that one product of K = T*B reaches. Returns
// false when no backward is running on this thread (the caller then computes it itself).
bool defer_leaf_gradient_product(const std::shared_ptr<TensorImpl>& leaf, const Tensor& a, const Tensor& b);
constexpr std::int64_t kDeferredRows = 1024;

// Number of Nodes alive in this process: a leak check for tests.
std::int64_t live_node_count();

}  // namespace aime
