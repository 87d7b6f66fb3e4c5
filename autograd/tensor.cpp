#include "autograd/tensor.h"

#include "autograd/autograd.h"
#include "autograd/backend.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape_ops.h"

namespace aime {

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (auto s : shape)
    if (s < 0) throw ValueError("empty: negative size in shape " + shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  const std::size_t nbytes = static_cast<std::size_t>(numel_of(shape)) * dtype_size(dtype);
  impl->storage = std::make_shared<Storage>(nbytes, device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

TensorImpl& Tensor::impl() const {
  if (!impl_) throw Error("Tensor: use of an undefined tensor (default-constructed, or a grad not computed)");
  return *impl_;
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  const auto& sh = shape();
  const auto& st = strides();
  std::int64_t expected = 1;
  for (std::size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

bool Tensor::shares_storage_with(const Tensor& other) const {
  return defined() && other.defined() && impl().storage == other.impl().storage;
}

void* Tensor::data_ptr() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * static_cast<std::int64_t>(dtype_size(dtype()));
}

double Tensor::item() const {
  if (numel() != 1)
    throw ValueError("item: expected a tensor with one element, got shape " + shape_str(shape()));
  return to_vector<double>()[0];
}

template <class T> std::vector<T> Tensor::to_vector() const {
  Tensor host = to(Device::cpu()).contiguous();
  std::vector<T> out(static_cast<std::size_t>(numel()));
  AIME_DISPATCH_ALL(dtype(), "to_vector", [&] {
    const scalar_t* p = host.data<scalar_t>();
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::uint8_t> Tensor::to_vector<std::uint8_t>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

Tensor& Tensor::requires_grad_(bool requires) {
  if (requires && !is_floating_point())
    throw DTypeError(std::string("requires_grad_: only floating tensors can require grad, got ") +
                     dtype_name(dtype()));
  if (!is_leaf() && !requires)
    throw AutogradError("requires_grad_(false): not allowed on a non-leaf tensor; use detach()");
  impl().requires_grad = requires;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(impl().grad); }

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined() && (grad.shape() != shape() || grad.dtype() != dtype() || grad.device() != device()))
    throw ShapeError("set_grad: gradient must match the tensor: expected " + shape_str(shape()) + " " +
                     dtype_name(dtype()) + ", got " + shape_str(grad.shape()) + " " + dtype_name(grad.dtype()));
  impl().grad = grad.impl_ptr();
}

void Tensor::set_data(const Tensor& src) {
  if (!is_leaf()) throw AutogradError(std::string("set_data: only a leaf tensor's data can be replaced, this one has ") + impl().grad_fn->name);
  if (requires_grad() && !src.is_floating_point())
    throw DTypeError(std::string("set_data: a tensor that requires grad needs floating data, got ") + dtype_name(src.dtype()));
  TensorImpl& self = impl();
  const TensorImpl& from = src.impl();
  self.storage = from.storage;
  self.offset = from.offset;
  self.shape = from.shape;
  self.strides = from.strides;
  self.dtype = from.dtype;
  if (self.grad && (self.grad->shape != self.shape || self.grad->dtype != self.dtype ||
                    self.grad->storage->device() != self.storage->device()))
    self.grad.reset();
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const { run_backward(*this, grad, retain_graph); }

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::to(DType dtype) const { return dtype == this->dtype() ? *this : to_dtype(*this, dtype); }

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor src = detach().contiguous();
  Tensor out = Tensor::empty(shape(), dtype(), device);
  const std::size_t nbytes = static_cast<std::size_t>(numel()) * dtype_size(dtype());
  if (device.is_cpu()) {
    backend_for(this->device()).copy_to_host(out.data_ptr(), src.data_ptr(), nbytes, this->device().index);
  } else if (this->device().is_cpu()) {
    backend_for(device).copy_from_host(out.data_ptr(), src.data_ptr(), nbytes, device.index);
  } else {
    return to(Device::cpu()).to(device);  // device to device through the host
  }
  const Device from = this->device();
  return record(out, "ToDeviceBackward", {*this}, [from](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; });
}

Tensor Tensor::contiguous() const { return aime::contiguous(*this); }

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype(), device());
  backend_for(device()).copy(*this, out);
  return record(out, "CloneBackward", {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

namespace {
void check_inplace(const Tensor& t, const char* op) {
  if (t.requires_grad() && is_grad_enabled())
    throw AutogradError(std::string(op) +
                        ": in-place change of a tensor that requires grad while grad mode is on; "
                        "wrap it in NoGradGuard (optimiser steps) or use the out-of-place op");
}
}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace(*this, "copy_");
  if (src.device() != device())
    throw DeviceError("copy_: source on " + src.device().str() + ", destination on " + device().str());
  Tensor s = aime::expand(src.detach(), shape());
  backend_for(device()).copy(s, *this);
  return *this;
}

Tensor& Tensor::fill_(double value) {
  check_inplace(*this, "fill_");
  backend_for(device()).fill(*this, value);
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  check_inplace(*this, "add_");
  NoGradGuard no_grad;
  Tensor o = other.detach();
  if (o.dtype() != dtype()) o = o.to(dtype());
  if (alpha != 1.0) o = o * alpha;
  broadcast_shapes(shape(), o.shape(), "add_");
  backend_for(device()).binary(BinaryOp::Add, detach(), aime::expand(o, shape()), *this);
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  check_inplace(*this, "mul_");
  NoGradGuard no_grad;
  Tensor o = other.detach();
  if (o.dtype() != dtype()) o = o.to(dtype());
  broadcast_shapes(shape(), o.shape(), "mul_");
  backend_for(device()).binary(BinaryOp::Mul, detach(), aime::expand(o, shape()), *this);
  return *this;
}

Tensor& Tensor::mul_(double factor) {
  check_inplace(*this, "mul_");
  Tensor s = scalar_tensor(factor, dtype(), device());
  backend_for(device()).binary(BinaryOp::Mul, detach(), aime::expand(s, shape()), *this);
  return *this;
}

Tensor Tensor::reshape(const Shape& s) const { return aime::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return aime::view(*this, s); }
Tensor Tensor::permute(const Shape& dims) const { return aime::permute(*this, dims); }
Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const { return aime::transpose(*this, d0, d1); }
Tensor Tensor::t() const {
  if (dim() != 2) throw ShapeError("t: expected a 2-D tensor, got shape " + shape_str(shape()));
  return aime::transpose(*this, 0, 1);
}
Tensor Tensor::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
  return aime::narrow(*this, d, start, length);
}
Tensor Tensor::select(std::int64_t d, std::int64_t index) const { return aime::select(*this, d, index); }
Tensor Tensor::expand(const Shape& s) const { return aime::expand(*this, s); }
Tensor Tensor::squeeze(std::int64_t d) const { return aime::squeeze(*this, d); }
Tensor Tensor::unsqueeze(std::int64_t d) const { return aime::unsqueeze(*this, d); }
Tensor Tensor::flatten(std::int64_t s, std::int64_t e) const { return aime::flatten(*this, s, e); }
Tensor Tensor::sum(const Dims& dims, bool keepdim) const { return aime::sum(*this, dims, keepdim); }
Tensor Tensor::mean(const Dims& dims, bool keepdim) const { return aime::mean(*this, dims, keepdim); }

}  // namespace aime
