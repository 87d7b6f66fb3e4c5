// Views and copies that rearrange elements. A view's backward maps the gradient back to
// the input's geometry; a copy's backward slices it apart.
#include "autograd/ops/shape_ops.h"

#include <algorithm>

#include "autograd/ops/creation.h"
#include "autograd/ops/op_util.h"
#include "autograd/ops/reduce.h"

namespace aime {
using detail::make_view;

Tensor detail::expand_data(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x.detach();
  NoGradGuard no_grad;
  return expand(x, shape).detach();
}

namespace {
// Scatters g into zeros of `shape` at the view (offset, sizes, strides) it was read from.
Tensor embed(const Tensor& g, const Shape& shape, const std::function<Tensor(const Tensor&)>& view_of) {
  Tensor out = zeros(shape, g.dtype(), g.device());
  Tensor dst = view_of(out);
  backend_for(g.device()).copy(g, dst);
  return out;
}
}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape_in) {
  Shape shape = shape_in;
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw ShapeError("reshape: only one dim may be -1, got " + shape_str(shape_in));
      infer = static_cast<std::int64_t>(i);
    } else if (shape[i] < 0) {
      throw ShapeError("reshape: invalid size in " + shape_str(shape_in));
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw ShapeError("reshape: cannot reshape tensor of shape " + shape_str(x.shape()) + " (" +
                       std::to_string(x.numel()) + " elements) into " + shape_str(shape_in));
    shape[infer] = x.numel() / known;
  }
  if (numel_of(shape) != x.numel())
    throw ShapeError("reshape: cannot reshape tensor of shape " + shape_str(x.shape()) + " (" +
                     std::to_string(x.numel()) + " elements) into " + shape_str(shape_in));
  if (shape == x.shape()) return x;
  Tensor src = x.is_contiguous() ? x : contiguous(x);
  Tensor out = make_view(src, shape, contiguous_strides(shape), src.offset());
  return record(out, "ReshapeBackward", {src}, [in = src.shape()](const Tensor& g) {
    return std::vector<Tensor>{g.reshape(in)};
  });
}

Tensor view(const Tensor& x, const Shape& shape) {
  if (!x.is_contiguous())
    throw ShapeError("view: tensor of shape " + shape_str(x.shape()) +
                     " is not contiguous; use reshape (which copies) or contiguous() first");
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const Shape& dims) {
  const std::int64_t n = x.dim();
  std::vector<bool> seen(n, false);
  bool ok = static_cast<std::int64_t>(dims.size()) == n;
  Shape perm;
  for (std::size_t i = 0; ok && i < dims.size(); ++i) {
    if (dims[i] < -n || dims[i] >= n) { ok = false; break; }
    const std::int64_t d = dims[i] < 0 ? dims[i] + n : dims[i];
    if (seen[d]) ok = false;
    seen[d] = true;
    perm.push_back(d);
  }
  if (!ok)
    throw ShapeError("permute: dims " + shape_str(dims) + " are not a permutation of the " + std::to_string(n) +
                     " dims of a tensor of shape " + shape_str(x.shape()));
  Shape shape(n), strides(n), inverse(n);
  for (std::int64_t i = 0; i < n; ++i) {
    shape[i] = x.shape()[perm[i]];
    strides[i] = x.strides()[perm[i]];
    inverse[perm[i]] = i;
  }
  return record(make_view(x, shape, strides, x.offset()), "PermuteBackward", {x}, [inverse](const Tensor& g) {
    return std::vector<Tensor>{permute(g, inverse)};
  });
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  Shape perm(x.dim());
  for (std::int64_t i = 0; i < x.dim(); ++i) perm[i] = i;
  std::swap(perm[normalize_dim(dim0, x.dim(), "transpose")], perm[normalize_dim(dim1, x.dim(), "transpose")]);
  return permute(x, perm);
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  dim = normalize_dim(dim, x.dim(), "narrow");
  const std::int64_t size = x.shape()[dim];
  if (start < 0) start += size;
  if (start < 0 || length < 0 || start + length > size)
    throw ShapeError("narrow: range [" + std::to_string(start) + ", " + std::to_string(start + length) +
                     ") is outside dim " + std::to_string(dim) + " of a tensor of shape " + shape_str(x.shape()));
  Shape shape = x.shape();
  shape[dim] = length;
  Tensor out = make_view(x, shape, x.strides(), x.offset() + start * x.strides()[dim]);
  out = record(out, "NarrowBackward", {x}, [in = x.shape(), dim, start, length](const Tensor& g) {
    return std::vector<Tensor>{embed(g, in, [&](const Tensor& z) { return narrow(z, dim, start, length); })};
  });
  if (out.grad_fn())
    out.grad_fn()->view_of_input = [dim, start, length](const Tensor& z) { return narrow(z, dim, start, length); };
  return out;
}

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  dim = normalize_dim(dim, x.dim(), "slice");
  if (step <= 0) throw ValueError("slice: step must be positive, got " + std::to_string(step));
  const std::int64_t size = x.shape()[dim];
  auto clampi = [size](std::int64_t i) { return std::clamp<std::int64_t>(i < 0 ? i + size : i, 0, size); };
  start = clampi(start);
  end = std::max(clampi(end), start);
  Shape shape = x.shape(), strides = x.strides();
  shape[dim] = (end - start + step - 1) / step;
  strides[dim] *= step;
  Tensor out = make_view(x, shape, strides, x.offset() + start * x.strides()[dim]);
  out = record(out, "SliceBackward", {x}, [in = x.shape(), dim, start, end, step](const Tensor& g) {
    return std::vector<Tensor>{embed(g, in, [&](const Tensor& z) { return slice(z, dim, start, end, step); })};
  });
  if (out.grad_fn())
    out.grad_fn()->view_of_input = [dim, start, end, step](const Tensor& z) { return slice(z, dim, start, end, step); };
  return out;
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  dim = normalize_dim(dim, x.dim(), "select");
  const std::int64_t size = x.shape()[dim];
  if (index < -size || index >= size)
    throw ValueError("select: index " + std::to_string(index) + " is out of range for dim " + std::to_string(dim) +
                     " of a tensor of shape " + shape_str(x.shape()));
  return squeeze(narrow(x, dim, index < 0 ? index + size : index, 1), dim);
}

Tensor expand(const Tensor& x, const Shape& shape_in) {
  const std::int64_t n = static_cast<std::int64_t>(shape_in.size()), lead = n - x.dim();
  auto fail = [&] {
    throw ShapeError("expand: cannot expand a tensor of shape " + shape_str(x.shape()) + " to " + shape_str(shape_in));
  };
  if (lead < 0) fail();
  Shape shape(n), strides(n, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    if (i < lead) {
      if (shape_in[i] < 0) fail();
      shape[i] = shape_in[i];
      continue;
    }
    const std::int64_t have = x.shape()[i - lead];
    const std::int64_t want = shape_in[i] == -1 ? have : shape_in[i];
    if (want == have) {
      shape[i] = have;
      strides[i] = x.strides()[i - lead];
    } else if (have == 1 && want >= 0) {
      shape[i] = want;
    } else {
      fail();
    }
  }
  if (shape == x.shape()) return x;
  return record(make_view(x, shape, strides, x.offset()), "ExpandBackward", {x}, [in = x.shape()](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, in)};
  });
}

namespace {
Tensor restride(const Tensor& x, Shape shape, Shape strides, const char* name) {
  return record(make_view(x, std::move(shape), std::move(strides), x.offset()), name, {x},
                [in = x.shape()](const Tensor& g) { return std::vector<Tensor>{g.reshape(in)}; });
}
}  // namespace

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  if (x.dim() == 0) return x;
  dim = normalize_dim(dim, x.dim(), "squeeze");
  if (x.shape()[dim] != 1) return x;
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return restride(x, shape, strides, "SqueezeBackward");
}

Tensor squeeze(const Tensor& x) {
  Shape shape, strides;
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (x.shape()[d] != 1) {
      shape.push_back(x.shape()[d]);
      strides.push_back(x.strides()[d]);
    }
  if (shape.size() == x.shape().size()) return x;
  return restride(x, shape, strides, "SqueezeBackward");
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  const std::int64_t n = x.dim();
  if (dim < -(n + 1) || dim > n)
    throw ValueError("unsqueeze: dim " + std::to_string(dim) + " out of range for a tensor of shape " +
                     shape_str(x.shape()) + " (expected in [" + std::to_string(-(n + 1)) + ", " + std::to_string(n) + "])");
  if (dim < 0) dim += n + 1;
  Shape shape = x.shape(), strides = x.strides();
  const std::int64_t stride = dim < n ? x.shape()[dim] * x.strides()[dim] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, stride);
  return restride(x, shape, strides, "UnsqueezeBackward");
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  start_dim = normalize_dim(start_dim, x.dim(), "flatten");
  end_dim = normalize_dim(end_dim, x.dim(), "flatten");
  if (start_dim > end_dim)
    throw ValueError("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " + std::to_string(end_dim));
  Shape shape(x.shape().begin(), x.shape().begin() + start_dim);
  std::int64_t n = 1;
  for (std::int64_t d = start_dim; d <= end_dim; ++d) n *= x.shape()[d];
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + end_dim + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim) {
  if (xs.empty()) throw ValueError("cat: expected a non-empty list of tensors");
  const Tensor& first = xs[0];
  if (first.dim() == 0) throw ShapeError("cat: zero-dimensional tensors cannot be concatenated (use stack)");
  dim = normalize_dim(dim, first.dim(), "cat");
  auto shapes = [&] {
    std::string s;
    for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + shape_str(xs[i].shape());
    return s;
  };
  Shape shape = first.shape();
  shape[dim] = 0;
  for (const auto& x : xs) {
    bool ok = x.dim() == first.dim();
    for (std::int64_t d = 0; ok && d < x.dim(); ++d) ok = d == dim || x.shape()[d] == first.shape()[d];
    if (!ok)
      throw ShapeError("cat: shapes must match except along dim " + std::to_string(dim) + ", got " + shapes());
    if (x.dtype() != first.dtype())
      throw DTypeError(std::string("cat: tensors must have one dtype, got ") + dtype_name(first.dtype()) + " and " +
                       dtype_name(x.dtype()));
    detail::require_same_device("cat", first, x);
    shape[dim] += x.shape()[dim];
  }
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  std::vector<std::int64_t> starts;
  std::int64_t offset = 0;
  for (const auto& x : xs) {
    starts.push_back(offset);
    NoGradGuard no_grad;
    backend_for(out.device()).copy(x, narrow(out, dim, offset, x.shape()[dim]));
    offset += x.shape()[dim];
  }
  std::vector<std::int64_t> lengths;
  for (const auto& x : xs) lengths.push_back(x.shape()[dim]);
  return record(out, "CatBackward", xs, [dim, starts, lengths](const Tensor& g) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < starts.size(); ++i) grads.push_back(narrow(g, dim, starts[i], lengths[i]));
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim) {
  if (xs.empty()) throw ValueError("stack: expected a non-empty list of tensors");
  for (const auto& x : xs)
    if (x.shape() != xs[0].shape())
      throw ShapeError("stack: every tensor must have the same shape, got " + shape_str(xs[0].shape()) + " and " +
                       shape_str(x.shape()));
  const std::int64_t n = xs[0].dim();
  if (dim < -(n + 1) || dim > n)
    throw ValueError("stack: dim " + std::to_string(dim) + " out of range for tensors of shape " + shape_str(xs[0].shape()));
  if (dim < 0) dim += n + 1;
  std::vector<Tensor> parts;
  for (const auto& x : xs) parts.push_back(unsqueeze(x, dim));
  return cat(parts, dim);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t dim) {
  if (size <= 0) throw ValueError("split: size must be positive, got " + std::to_string(size));
  dim = normalize_dim(dim, x.dim(), "split");
  std::vector<Tensor> out;
  for (std::int64_t start = 0; start < x.shape()[dim]; start += size)
    out.push_back(narrow(x, dim, start, std::min(size, x.shape()[dim] - start)));
  return out;
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
  if (chunks <= 0) throw ValueError("chunk: chunks must be positive, got " + std::to_string(chunks));
  dim = normalize_dim(dim, x.dim(), "chunk");
  const std::int64_t n = x.shape()[dim];
  return split(x, std::max<std::int64_t>((n + chunks - 1) / chunks, 1), dim);
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x.device()).copy(x, out);
  return record(out, "ContiguousBackward", {x}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype, x.device());
  backend_for(x.device()).copy(x, out);
  if (!is_floating(dtype)) return out;  // integers carry no gradient
  return record(out, "ToDtypeBackward", {x}, [from = x.dtype()](const Tensor& g) {
    return std::vector<Tensor>{to_dtype(g, from)};
  });
}

}  // namespace aime
