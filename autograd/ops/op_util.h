// Helpers shared by the op implementations in autograd/ops/ (internal).
#pragma once
#include <string>

#include "autograd/autograd.h"
#include "autograd/backend.h"

namespace aime::detail {

inline std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " tensor of shape " + shape_str(t.shape());
}

inline void require_floating(const char* op, const Tensor& x) {
  if (!x.is_floating_point())
    throw DTypeError(std::string(op) + ": expected a floating tensor (float32 or float64), got " + describe(x));
}

inline void require_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() != b.device())
    throw DeviceError(std::string(op) + ": tensors on different devices: " + a.device().str() + " and " +
                      b.device().str());
}

// A tensor's data, contiguous, cut from the graph (kernels read it; closures keep it).
inline Tensor contiguous_data(const Tensor& x) {
  Tensor d = x.detach();
  if (d.is_contiguous()) return d;
  Tensor out = Tensor::empty(d.shape(), d.dtype(), d.device());
  backend_for(d.device()).copy(d, out);
  return out;
}

// A view of x's storage with new geometry; not recorded (the caller records).
inline Tensor make_view(const Tensor& x, Shape shape, Shape strides, std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.impl().storage;
  impl->offset = offset;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

// x broadcast to `shape` as a stride-0 view, cut from the graph (for kernels).
Tensor expand_data(const Tensor& x, const Shape& shape);

}  // namespace aime::detail
