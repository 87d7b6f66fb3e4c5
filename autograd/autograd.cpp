#include "autograd/autograd.h"

#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "autograd/backend.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/shape_ops.h"

namespace aime {
namespace {
thread_local bool grad_enabled = true;
std::atomic<std::int64_t> live_nodes{0};
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }
std::int64_t live_node_count() { return live_nodes.load(); }

Node::Node(const char* name_, std::vector<Edge> edges_, BackwardFn backward_, Shape shape, DType dtype)
    : name(name_), edges(std::move(edges_)), backward(std::move(backward_)), output_shape(std::move(shape)),
      output_dtype(dtype) {
  ++live_nodes;
}
Node::~Node() { --live_nodes; }

namespace {
template <class Range> bool any_requires_grad_in(const Range& inputs) {
  if (!grad_enabled) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}
}  // namespace
bool any_requires_grad(std::initializer_list<Tensor> inputs) { return any_requires_grad_in(inputs); }
bool any_requires_grad(const std::vector<Tensor>& inputs) { return any_requires_grad_in(inputs); }

Tensor record(Tensor output, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!any_requires_grad(inputs)) return output;
  std::vector<Edge> edges(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (!in.defined() || !in.requires_grad()) continue;
    if (in.grad_fn())
      edges[i].node = in.grad_fn();
    else
      edges[i].leaf = in.impl_ptr();
  }
  TensorImpl& out = output.impl();
  out.grad_fn = std::make_shared<Node>(name, std::move(edges), std::move(backward), out.shape, out.dtype);
  out.requires_grad = true;
  return output;
}

namespace {

// Adds g into a leaf's .grad: in place when a buffer exists (it may be a view of a flat
// parameter buffer), else a fresh contiguous copy (g may alias other tensors).
void accumulate_into_leaf(TensorImpl& leaf, const Tensor& g) {
  if (leaf.grad) {
    Tensor existing(leaf.grad);
    backend_for(existing.device()).binary(BinaryOp::Add, existing, g, existing);
  } else {
    Tensor copy = Tensor::empty(g.shape(), g.dtype(), g.device());
    backend_for(g.device()).copy(g, copy);
    leaf.grad = copy.impl_ptr();
  }
}

void check_grad(const Tensor& g, const Shape& shape, DType dtype, const char* where) {
  if (g.shape() != shape || g.dtype() != dtype)
    throw AutogradError(std::string("backward: ") + where + " produced a gradient of shape " + shape_str(g.shape()) +
                        " " + dtype_name(g.dtype()) + " for a tensor of shape " + shape_str(shape) + " " +
                        dtype_name(dtype));
}

// The deferred a^T b products of the backward running on this thread, per leaf, in the
// order the leaves were first seen (so a run is reproducible).
struct DeferredProducts {
  struct Pending {
    std::shared_ptr<TensorImpl> leaf;
    std::vector<Tensor> a, b;
    std::int64_t rows = 0;
  };
  std::vector<Pending> pending;
  std::unordered_map<TensorImpl*, std::size_t> index;

  static void flush(Pending& p) {
    if (p.a.empty()) return;
    const Tensor a = p.a.size() == 1 ? p.a[0] : cat(p.a, 0), b = p.b.size() == 1 ? p.b[0] : cat(p.b, 0);
    const std::int64_t rows = a.shape()[0], m = a.shape()[1], n = b.shape()[1];
    Tensor g = Tensor::empty({1, m, n}, a.dtype(), a.device());
    backend_for(a.device()).gemm(true, false, a.contiguous().reshape({1, rows, m}), b.contiguous().reshape({1, rows, n}), g, 0.0);
    accumulate_into_leaf(*p.leaf, g.reshape({m, n}));
    p.a.clear();
    p.b.clear();
    p.rows = 0;
  }
  void add(const std::shared_ptr<TensorImpl>& leaf, const Tensor& a, const Tensor& b) {
    auto [it, inserted] = index.try_emplace(leaf.get(), pending.size());
    if (inserted) pending.push_back({leaf, {}, {}, 0});
    Pending& p = pending[it->second];
    p.a.push_back(a);
    p.b.push_back(b);
    p.rows += a.shape()[0];
    if (p.rows >= kDeferredRows) flush(p);
  }
  void flush_all() {
    for (auto& p : pending) flush(p);
  }
};
thread_local DeferredProducts* deferred_products = nullptr;

// Installs a DeferredProducts for one run_backward; the run flushes it before returning.
class DeferredProductsScope {
 public:
  DeferredProductsScope() : previous_(deferred_products) { deferred_products = &products_; }
  ~DeferredProductsScope() { deferred_products = previous_; }
  DeferredProducts& products() { return products_; }
  DeferredProductsScope(const DeferredProductsScope&) = delete;
  DeferredProductsScope& operator=(const DeferredProductsScope&) = delete;

 private:
  DeferredProducts products_;
  DeferredProducts* previous_;
};

}  // namespace

bool defer_leaf_gradient_product(const std::shared_ptr<TensorImpl>& leaf, const Tensor& a, const Tensor& b) {
  if (!deferred_products || !leaf) return false;
  if (a.dim() != 2 || b.dim() != 2 || a.shape()[0] != b.shape()[0] || leaf->shape != Shape{a.shape()[1], b.shape()[1]} ||
      a.dtype() != leaf->dtype || b.dtype() != leaf->dtype)
    throw AutogradError("defer_leaf_gradient_product: factors " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                        " do not make a gradient of shape " + shape_str(leaf->shape));
  deferred_products->add(leaf, a, b);
  return true;
}

void run_backward(const Tensor& root, const Tensor& grad_in, bool retain_graph) {
  if (!root.requires_grad())
    throw AutogradError("backward: tensor of shape " + shape_str(root.shape()) +
                        " does not require grad and has no grad_fn");
  Tensor grad = grad_in;
  if (!grad.defined()) {
    if (root.numel() != 1)
      throw AutogradError("backward: grad can be implicitly created only for a one-element output, got shape " +
                          shape_str(root.shape()) + "; pass the output gradient");
    grad = ones(root.shape(), root.dtype(), root.device());
  }
  check_grad(grad, root.shape(), root.dtype(), "the given output gradient");

  NoGradGuard no_grad;  // closures build no graph of their own
  if (root.is_leaf()) {
    accumulate_into_leaf(root.impl(), grad);
    return;
  }

  // Topological order by iterative depth-first search: a node comes after every node that
  // feeds gradient into it.
  // Holds shared_ptrs: freeing a node's edges below must not destroy a node still queued.
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited;
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack{{root.grad_fn(), 0}};
  visited.insert(root.grad_fn().get());
  while (!stack.empty()) {
    Node* node = stack.back().first.get();
    std::size_t& next = stack.back().second;
    if (next < node->edges.size()) {
      const std::shared_ptr<Node>& child = node->edges[next++].node;
      if (child && visited.insert(child.get()).second) stack.emplace_back(child, 0);
    } else {
      order.push_back(std::move(stack.back().first));
      stack.pop_back();
    }
  }

  // The summed incoming gradient of each node still to run. `owned`: the engine made this
  // tensor (a zero fill or a sum) and nothing else refers to it, so more gradient may be
  // added in place; a tensor a closure returned may alias others and is never written.
  struct Pending {
    Tensor grad;
    bool owned = false;
  };
  auto own = [](Pending& p) {
    if (p.owned) return;
    Tensor copy = Tensor::empty(p.grad.shape(), p.grad.dtype(), p.grad.device());
    backend_for(copy.device()).copy(p.grad, copy);
    p.grad = copy;
    p.owned = true;
  };
  std::unordered_map<Node*, Pending> pending{{root.grad_fn().get(), {grad, false}}};
  DeferredProductsScope deferred;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    auto found = pending.find(node);
    if (found == pending.end()) continue;
    Tensor g = std::move(found->second.grad);
    pending.erase(found);
    if (!node->backward)
      throw AutogradError(std::string("backward: the graph through ") + node->name +
                          " was already freed by an earlier backward(); call backward(grad, /*retain_graph=*/true) "
                          "the first time to go through it twice");
    if (node->view_of_input && node->edges.size() == 1 && node->edges[0].node) {
      // A view of an intermediate: add g into its place in the input's pending gradient.
      Node* input = node->edges[0].node.get();
      auto [slot, inserted] = pending.try_emplace(input);
      if (inserted) {
        slot->second = {zeros(input->output_shape, input->output_dtype, g.device()), true};
      } else {
        own(slot->second);
      }
      Tensor place = node->view_of_input(slot->second.grad);
      check_grad(g, place.shape(), place.dtype(), node->name);
      backend_for(place.device()).binary(BinaryOp::Add, place, g, place);
    } else {
      std::vector<Tensor> grads = node->backward(g);
      if (grads.size() != node->edges.size())
        throw AutogradError(std::string("backward: ") + node->name + " returned " + std::to_string(grads.size()) +
                            " gradients for " + std::to_string(node->edges.size()) + " inputs");
      for (std::size_t i = 0; i < grads.size(); ++i) {
        const Edge& e = node->edges[i];
        if (!e.defined() || !grads[i].defined()) continue;
        if (e.node) {
          check_grad(grads[i], e.node->output_shape, e.node->output_dtype, node->name);
          auto [slot, inserted] = pending.try_emplace(e.node.get(), Pending{grads[i], false});
          if (inserted) continue;
          Pending& p = slot->second;  // a tensor used twice: sum
          if (p.owned) {
            backend_for(p.grad.device()).binary(BinaryOp::Add, p.grad, grads[i], p.grad);
          } else {
            p.grad = p.grad + grads[i];
            p.owned = true;
          }
        } else {
          check_grad(grads[i], e.leaf->shape, e.leaf->dtype, node->name);
          accumulate_into_leaf(*e.leaf, grads[i]);
        }
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;  // frees saved tensors
      node->view_of_input = nullptr;
      node->edges.clear();
    }
  }
  deferred.products().flush_all();
}

}  // namespace aime
