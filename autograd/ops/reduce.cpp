// Reductions. The kernel reduces rows of a [R, K] matrix; an op first permutes the reduced
// dims to the end (a copy only when they are not already last and contiguous; a sum over
// the last dims and others reduces the last ones first, below).
#include "autograd/ops/reduce.h"

#include <limits>

#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/op_util.h"
#include "autograd/ops/shape_ops.h"

namespace aime {

namespace {
struct Reduced {
  Tensor values;   // the result shape (keepdim applied)
  Tensor indices;  // int64, same shape (Max with indices only)
  Shape keep_shape;  // the result shape with keepdim = true
};

Reduced reduce(ReduceOp op, const char* name, const Tensor& x, const Dims& dims, bool keepdim, bool with_indices) {
  const std::vector<std::int64_t> rdims = dims.resolve(x.dim(), name);
  // A sum over the trailing dims and others before them (a convolution's bias gradient: dy
  // [N, O, H, W] over {0, 2, 3}) runs in two passes: the trailing block first, over rows that
  // lie contiguous in x, then the other dims on that much smaller result. One pass would
  // first permute x into a transposed copy of itself (benchmarks/README.md, lever 23). The
  // first pass's sums are rounded to x's dtype, as every sum's result is. The second call's
  // trailing dims have size 1, so it takes the one-pass path.
  if (op == ReduceOp::Sum) {
    const auto n = static_cast<std::int64_t>(rdims.size());
    std::int64_t trailing = 0, trailing_numel = 1;
    while (trailing < n && rdims[n - 1 - trailing] == x.dim() - 1 - trailing) {
      trailing_numel *= x.shape()[x.dim() - 1 - trailing];
      ++trailing;
    }
    if (trailing > 0 && trailing < n && trailing_numel > 1) {
      const Tensor inner =
          reduce(op, name, x, Dims(std::vector<std::int64_t>(rdims.end() - trailing, rdims.end())), true, false).values;
      return reduce(op, name, inner, Dims(rdims), keepdim, false);
    }
  }
  std::vector<bool> reduced(x.dim(), false);
  for (auto d : rdims) reduced[d] = true;
  Shape perm, out_shape, keep_shape;
  std::int64_t rows = 1, cols = 1;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (reduced[d]) {
      keep_shape.push_back(1);
      if (keepdim) out_shape.push_back(1);
      continue;
    }
    perm.push_back(d);
    out_shape.push_back(x.shape()[d]);
    keep_shape.push_back(x.shape()[d]);
    rows *= x.shape()[d];
  }
  for (auto d : rdims) {
    perm.push_back(d);
    cols *= x.shape()[d];
  }
  // [kept dims..., reduced dims...] as rows x cols; detached, so the permute records nothing.
  Tensor xp = detail::contiguous_data(permute(x.detach(), perm));
  Reduced r;
  r.values = Tensor::empty(out_shape, x.dtype(), x.device());
  if (with_indices) r.indices = Tensor::empty(out_shape, kInt64, x.device());
  if (op == ReduceOp::Max && cols == 0 && rows > 0)
    throw ValueError(std::string(name) + ": cannot reduce over an empty dimension of shape " + shape_str(x.shape()));
  backend_for(x.device()).reduce_rows(op, xp, r.values, r.indices);
  r.keep_shape = keep_shape;
  return r;
}
}  // namespace

// d sum(x) / dx = 1: the gradient is broadcast back over the reduced dims.
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  if (x.dtype() == kUInt8) return sum(x.to(kInt64), dims, keepdim);  // no uint8 overflow
  Reduced r = reduce(ReduceOp::Sum, "sum", x, dims, keepdim, false);
  return record(r.values, "SumBackward", {x}, [keep = r.keep_shape, shape = x.shape()](const Tensor& g) {
    return std::vector<Tensor>{expand(g.reshape(keep), shape)};
  });
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  detail::require_floating("mean", x);
  std::int64_t count = 1;
  for (auto d : dims.resolve(x.dim(), "mean")) count *= x.shape()[d];
  return sum(x, dims, keepdim) * (1.0 / static_cast<double>(count));
}

// amax: d max / dx_i = 1 / (number of maxima) at each maximum, 0 elsewhere.
Tensor max(const Tensor& x, const Dims& dims, bool keepdim) {
  Reduced r = reduce(ReduceOp::Max, "max", x, dims, keepdim, false);
  return record(r.values, "MaxBackward", {x},
                [keep = r.keep_shape, dims, xd = x.detach(), vd = r.values.detach()](const Tensor& g) {
                  Tensor is_max = eq(xd, vd.reshape(keep)).to(g.dtype());
                  Tensor count = sum(is_max, dims, /*keepdim=*/true);
                  return std::vector<Tensor>{is_max / count * g.reshape(keep)};
                });
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  return reduce(ReduceOp::Max, "argmax", x, Dims(dim), keepdim, true).indices;
}

// logsumexp(x) = m + log(sum(exp(x - m))) with m = max(x) (held constant: the result does
// not depend on it), so exp never overflows. Rows that are all -inf give -inf.
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
  detail::require_floating("logsumexp", x);
  Tensor m = max(x.detach(), dims, /*keepdim=*/true);
  m = where(eq(abs(m), scalar_tensor(std::numeric_limits<double>::infinity(), m.dtype(), m.device())),
            scalar_tensor(0.0, m.dtype(), m.device()), m);
  Tensor out = log(sum(exp(x - m), dims, /*keepdim=*/true)) + m;
  if (keepdim) return out;
  Shape s;
  const auto rdims = dims.resolve(x.dim(), "logsumexp");
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (std::find(rdims.begin(), rdims.end(), d) == rdims.end()) s.push_back(x.shape()[d]);
  return out.reshape(s);
}

Tensor var(const Tensor& x, const Dims& dims, std::int64_t correction, bool keepdim) {
  detail::require_floating("var", x);
  std::int64_t count = 1;
  for (auto d : dims.resolve(x.dim(), "var")) count *= x.shape()[d];
  const double denom = static_cast<double>(std::max<std::int64_t>(count - correction, 0));
  Tensor centred = x - mean(x, dims, /*keepdim=*/true);
  return sum(square(centred), dims, keepdim) / denom;
}

Tensor softmax(const Tensor& x, std::int64_t dim) { return exp(log_softmax(x, dim)); }
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  detail::require_floating("log_softmax", x);
  return x - logsumexp(x, Dims(dim), /*keepdim=*/true);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const std::int64_t lead = x.dim() - static_cast<std::int64_t>(shape.size());
  bool ok = lead >= 0;
  std::vector<std::int64_t> dims;
  for (std::int64_t d = 0; ok && d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && x.shape()[d] != 1) {
      dims.push_back(d);
    } else if (shape[d - lead] != x.shape()[d]) {
      ok = false;
    }
  }
  if (!ok)
    throw ShapeError("sum_to: shape " + shape_str(x.shape()) + " cannot be summed down to " + shape_str(shape) +
                     " (it is not a broadcast of it)");
  // Summing away leading dims only (a bias-like operand's gradient: x [R..., K...] down to
  // [K...]), outside a recorded graph: one product 1^T x [R, K], as the linear layer's bias
  // gradient. The row reduction would first permute x into a copy and then sum one row at a
  // time (13% of the RSSMO mdp step, from its LayerNorms' scale and shift).
  const bool leading = !dims.empty() && dims.back() == static_cast<std::int64_t>(dims.size()) - 1 &&
                       static_cast<std::int64_t>(dims.size()) == lead;
  if (leading && x.is_floating_point() && !(is_grad_enabled() && x.requires_grad())) {
    std::int64_t rows = 1;
    for (std::int64_t d = 0; d < lead; ++d) rows *= x.shape()[d];
    const std::int64_t cols = x.numel() / std::max<std::int64_t>(rows, 1);
    if (rows > 1 && cols > 0)
      return matmul(ones({1, rows}, x.dtype(), x.device()), x.contiguous().reshape({rows, cols})).reshape(shape);
  }
  return sum(x, dims, /*keepdim=*/true).reshape(shape);
}

}  // namespace aime
