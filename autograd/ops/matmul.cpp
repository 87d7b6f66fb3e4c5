#include "autograd/ops/matmul.h"

#include "autograd/ops/creation.h"
#include "autograd/ops/op_util.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape_ops.h"
#include "autograd/weight_pack.h"

namespace aime {
using detail::contiguous_data;

namespace {
// Rows up to which a linear layer's weight gradient is left to the engine to stack
// (defer_leaf_gradient_product): a recurrence's per-step batch, not a time-parallel layer.
constexpr std::int64_t kDeferMaxRows = 256;

// c = op(a) op(b) on 3-D contiguous data (see Backend::gemm).
Tensor gemm(bool ta, bool tb, const Tensor& a, const Tensor& b, std::int64_t batch) {
  const std::int64_t m = ta ? a.shape()[2] : a.shape()[1];
  const std::int64_t n = tb ? b.shape()[1] : b.shape()[2];
  Tensor c = Tensor::empty({batch, m, n}, a.dtype(), a.device());
  backend_for(a.device()).gemm(ta, tb, a, b, c, 0.0);
  return c;
}
}  // namespace

// C = A B;  dA = dC B^T,  dB = A^T dC  (summed over a broadcast batch).
Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  auto fail = [&](const std::string& why) {
    throw ShapeError("matmul: " + why + ", got " + shape_str(a_in.shape()) + " @ " + shape_str(b_in.shape()));
  };
  if (a_in.dim() < 2 || a_in.dim() > 3 || b_in.dim() < 2 || b_in.dim() > 3) fail("operands must be 2-D or 3-D");
  if (a_in.size(-1) != b_in.size(-2)) fail("inner dimensions differ");
  detail::require_floating("matmul", a_in);
  detail::require_same_device("matmul", a_in, b_in);
  const DType t = promote_types(a_in.dtype(), b_in.dtype());
  Tensor a = a_in.to(t), b = b_in.to(t);
  const std::int64_t ba = a.dim() == 3 ? a.shape()[0] : 1, bb = b.dim() == 3 ? b.shape()[0] : 1;
  if (ba != bb && ba != 1 && bb != 1) fail("batch dimensions do not broadcast");
  const std::int64_t batch = std::max(ba, bb), m = a.size(-2), k = a.size(-1), n = b.size(-1);

  Tensor ad = contiguous_data(a).reshape({ba, m, k}), bd = contiguous_data(b).reshape({bb, k, n});
  // A batch times one shared matrix is a single GEMM over the stacked rows.
  const bool stack_rows = bb == 1 && ba > 1;
  Tensor out = stack_rows ? gemm(false, false, ad.reshape({1, ba * m, k}), bd, 1) : gemm(false, false, ad, bd, batch);
  Shape shape = (a.dim() == 2 && b.dim() == 2) ? Shape{m, n} : Shape{batch, m, n};
  out = out.reshape(shape);
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return record(out, "MmBackward", {a, b},
                [=, sa = a.shape(), sb = b.shape()](const Tensor& g) {
                  Tensor g3 = contiguous_data(g).reshape({batch, m, n});
                  Tensor ga, gb;
                  if (need_a) {
                    ga = stack_rows ? gemm(false, true, g3.reshape({1, batch * m, n}), bd, 1) : gemm(false, true, g3, bd, batch);
                    if (ba == 1 && batch > 1) ga = sum(ga, 0, true);
                    ga = ga.reshape(sa);
                  }
                  if (need_b) {
                    gb = stack_rows ? gemm(true, false, ad.reshape({1, batch * m, k}), g3.reshape({1, batch * m, n}), 1)
                                    : gemm(true, false, ad, g3, batch);
                    if (bb == 1 && batch > 1 && !stack_rows) gb = sum(gb, 0, true);
                    gb = gb.reshape(sb);
                  }
                  return std::vector<Tensor>{ga, gb};
                });
}

// y = x W^T + b over rows x [N, in];  dx = dy W,  dW = dy^T x,  db = sum_rows dy.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  auto fail = [&](const std::string& why) {
    throw ShapeError("linear: " + why + ", got input " + shape_str(x.shape()) + ", weight " + shape_str(weight.shape()) +
                     (bias.defined() ? ", bias " + shape_str(bias.shape()) : std::string()));
  };
  if (weight.dim() != 2) fail("weight must be [out_features, in_features]");
  if (x.dim() < 1 || x.size(-1) != weight.shape()[1]) fail("input's last dim must equal in_features");
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != weight.shape()[0])) fail("bias must be [out_features]");
  detail::require_floating("linear", x);
  if (x.dtype() != weight.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    throw DTypeError(std::string("linear: input, weight and bias must share a dtype, got ") + dtype_name(x.dtype()) +
                     " and " + dtype_name(weight.dtype()));
  detail::require_same_device("linear", x, weight);
  const std::int64_t in = weight.shape()[1], outf = weight.shape()[0], rows = x.numel() / std::max<std::int64_t>(in, 1);
  Tensor xd = contiguous_data(x).reshape({1, rows, in});
  Tensor wd = contiguous_data(weight).reshape({1, outf, in});
  Tensor y = Tensor::empty({1, rows, outf}, x.dtype(), x.device());
  Backend& be = backend_for(x.device());
  // A recurrence's step inside a WeightPackScope: the weight packed once for all its steps.
  const std::shared_ptr<WeightPack> pack = rows <= kPackMaxRows ? weight_pack(weight) : nullptr;
  const Backend::PackedWeight* packed = pack ? pack->forward() : nullptr;
  if (bias.defined()) be.copy(detail::expand_data(bias, {1, rows, outf}), y);
  if (packed) {
    be.gemm_packed(xd.reshape({rows, in}), *packed, y.reshape({rows, outf}), bias.defined() ? 1.0 : 0.0);
  } else {
    be.gemm(false, true, xd, wd, y, bias.defined() ? 1.0 : 0.0);
  }
  Shape shape = x.shape();
  shape.back() = outf;
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
  // The weight when it is a leaf (a parameter): its gradient may be deferred (see below).
  std::shared_ptr<TensorImpl> w_leaf = need_w && !weight.grad_fn() ? weight.impl_ptr() : nullptr;
  return record(y.reshape(shape), "LinearBackward", {x, weight, bias},
                [=, sx = x.shape()](const Tensor& g) {
                  Tensor g3 = contiguous_data(g).reshape({1, rows, outf});
                  Tensor gx, gw, gb;
                  if (need_x) {
                    const Backend::PackedWeight* packed_t = pack ? pack->input_gradient() : nullptr;
                    if (packed_t) {
                      gx = Tensor::empty({rows, in}, g3.dtype(), g3.device());
                      backend_for(g3.device()).gemm_packed(g3.reshape({rows, outf}), *packed_t, gx, 0.0);
                      gx = gx.reshape(sx);
                    } else {
                      gx = gemm(false, false, g3, wd, 1).reshape(sx);
                    }
                  }
                  // dW = dy^T x. Over a few rows (a recurrence's step) the engine stacks the
                  // steps' factors and forms one product over all of them.
                  if (need_w && !(w_leaf && rows <= kDeferMaxRows &&
                                  defer_leaf_gradient_product(w_leaf, g3.reshape({rows, outf}), xd.reshape({rows, in}))))
                    gw = gemm(true, false, g3, xd, 1).reshape({outf, in});
                  // db = 1^T dy: sum_to forms it as one product (no graph is recorded here).
                  if (need_b) gb = sum_to(g3, {outf});
                  return std::vector<Tensor>{gx, gw, gb};
                });
}

}  // namespace aime
