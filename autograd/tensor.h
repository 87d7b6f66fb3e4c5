// Tensor: a strided view (shape, strides, offset) of a Storage, with an element type, a
// device and autograd state. Copying a Tensor copies a handle (like PyTorch's), never the
// data; views (reshape, permute, narrow, expand, ...) share the storage.
//
//   Tensor x = randn({3, 4}, gen, kFloat64).requires_grad_();
//   Tensor y = sum(tanh(matmul(x, x.t())));
//   y.backward();                 // x.grad() now holds dy/dx
//
// The ops themselves are free functions in autograd/ops/*.h (included by autograd/api.h);
// the members below are PyTorch-style shortcuts to the most common ones.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "autograd/device.h"
#include "autograd/dtype.h"
#include "autograd/error.h"
#include "autograd/shape.h"
#include "autograd/storage.h"

namespace aime {

struct Node;

// The state behind a Tensor handle. Op and backend code reads it directly; users go
// through Tensor.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::int64_t offset = 0;  // in elements, into storage
  Shape shape;
  Shape strides;  // in elements; 0 along broadcast (expanded) dims
  DType dtype = DType::Float32;

  // Autograd. A tensor that requires grad and has no grad_fn is a leaf: backward()
  // accumulates into its `grad`. A tensor with a grad_fn is the output of a recorded op.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // A fresh contiguous tensor with uninitialised memory (ops fill it).
  static Tensor empty(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  std::int64_t size(std::int64_t dim) const;  // negative dims count from the end
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  std::int64_t numel() const { return numel_of(impl().shape); }
  std::int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  bool shares_storage_with(const Tensor& other) const;

  // ---- data access ----
  // Address of element 0 of this view (storage + offset). Valid on the tensor's device.
  void* data_ptr() const;
  // Typed host pointer; throws DTypeError if T is not the tensor's C++ type, DeviceError
  // if the tensor is not on the CPU (data_ptr() gives a device address).
  template <class T> T* data() const;
  // The single value of a one-element tensor, converted to double (any dtype, any device).
  double item() const;
  // All values in row-major order, converted to T (copies to the host).
  template <class T> std::vector<T> to_vector() const;

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  // Marks a leaf as requiring grad (floating dtypes only). Returns *this.
  Tensor& requires_grad_(bool requires = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  // The accumulated gradient of a leaf (undefined until a backward() reaches it).
  Tensor grad() const;
  // Replaces the gradient buffer, e.g. with a view of a flat buffer (nn's packing).
  void set_grad(const Tensor& grad);
  // Points this leaf at `src`'s data (storage, offset, shape, strides, dtype) while it
  // keeps its identity and requires_grad, like PyTorch's `param.data = src`. nn uses it to
  // move parameters to a device or into one flat buffer: every handle a layer holds stays
  // valid. The gradient is dropped unless it still matches shape, dtype and device.
  // Throws AutogradError on a non-leaf, DTypeError on a non-floating src for a tensor
  // that requires grad.
  void set_data(const Tensor& src);
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  // Back-propagates from this tensor. With no `grad`, the tensor must have one element and
  // the seed is 1. The graph is freed afterwards unless retain_graph.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;
  // Same storage, cut from the graph: no grad_fn, requires_grad false.
  Tensor detach() const;

  // ---- conversion (differentiable) ----
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor contiguous() const;  // *this if already contiguous
  Tensor clone() const;       // always a fresh copy

  // ---- in place (not recorded by autograd: for optimisers, initialisers, buffers) ----
  // Throws AutogradError on a tensor that requires grad while grad mode is on.
  Tensor& copy_(const Tensor& src);  // src broadcast to this shape, cast to this dtype
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other
  Tensor& mul_(double factor);
  Tensor& mul_(const Tensor& other);  // other broadcast to this shape (e.g. a 0-d scale)

  // ---- shortcuts to ops (see ops/*.h for the semantics) ----
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor permute(const Shape& dims) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  Tensor t() const;  // transpose of a 2-D tensor
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;
  Tensor expand(const Shape& shape) const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor sum(const Dims& dims = {}, bool keepdim = false) const;
  Tensor mean(const Dims& dims = {}, bool keepdim = false) const;

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Prints like PyTorch: values (summarised past 1000 elements), then shape, dtype, device,
// and grad_fn or requires_grad.
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

// ---- template definitions ----
template <class T> T* Tensor::data() const {
  if (dtype_of<T>() != dtype())
    throw DTypeError(std::string("Tensor::data<") + dtype_name(dtype_of<T>()) +
                     ">: tensor has dtype " + dtype_name(dtype()));
  if (!device().is_cpu())
    throw DeviceError(std::string("Tensor::data<") + dtype_name(dtype_of<T>()) + ">: the tensor is on " +
                      device().str() + "; host code can only read CPU tensors (use .cpu() or to_vector())");
  return static_cast<T*>(data_ptr());
}

}  // namespace aime
