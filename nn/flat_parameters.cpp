#include "nn/flat_parameters.h"

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"

namespace aime::nn {

namespace {
// A contiguous view with `shape` of base's storage, starting at storage element `offset`.
Tensor storage_view(const Tensor& base, std::int64_t offset, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->offset = offset;
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}
}  // namespace

FlatParameters flatten_parameters(const std::vector<Tensor>& params) {
  if (params.empty()) throw ValueError("flatten_parameters: no parameters to pack");
  const DType dtype = params.front().dtype();
  const Device device = params.front().device();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    if (!p.is_leaf() || !p.is_floating_point() || p.dtype() != dtype || p.device() != device)
      throw ValueError("flatten_parameters: parameter " + std::to_string(i) + " is " + dtype_name(p.dtype()) + " on " +
                       p.device().str() + ", expected a floating leaf of " + dtype_name(dtype) + " on " +
                       device.str() + " like parameter 0");
    total += p.numel();
  }
  FlatParameters flat{empty({total}, dtype, device), zeros({total}, dtype, device)};
  NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (Tensor p : params) {
    Tensor data = storage_view(flat.data, offset, p.shape());
    Tensor grad = storage_view(flat.grad, offset, p.shape());
    data.copy_(p.detach());
    if (p.grad().defined()) grad.copy_(p.grad());
    p.set_data(data);
    p.set_grad(grad);
    offset += p.numel();
  }
  return flat;
}

FlatParameters find_flat_parameters(const std::vector<Tensor>& params) {
  if (params.empty()) return {};
  const Tensor& first = params.front();
  const Tensor first_grad = first.grad();
  if (!first_grad.defined()) return {};
  std::int64_t n = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined() || !p.is_contiguous() || !g.is_contiguous() || p.impl().storage != first.impl().storage ||
        g.impl().storage != first_grad.impl().storage || p.offset() != first.offset() + n ||
        g.offset() != first_grad.offset() + n)
      return {};
    n += p.numel();
  }
  return {storage_view(first, first.offset(), {n}), storage_view(first_grad, first_grad.offset(), {n})};
}

}  // namespace aime::nn
