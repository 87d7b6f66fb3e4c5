// Elementwise ops: forward through the backend, backward right below each forward.
#include "autograd/ops/elementwise.h"

#include <cmath>
#include <limits>

#include "autograd/ops/creation.h"
#include "autograd/ops/op_util.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape_ops.h"

namespace aime {
using detail::contiguous_data;
using detail::expand_data;

// ---------------------------------------------------------------- unary
namespace {
// Every derivative in elementwise_math.h reads x or y, never both. Those that can be read
// from y (exp, sqrt, rsqrt, tanh, sigmoid, and relu and elu with alpha >= 0, where y > 0
// exactly when x > 0) keep y alive for backward and let x go: a ReLU or sigmoid layer then
// holds one activation instead of two, about a third of a visual step's peak memory.
bool derivative_from_output(UnaryOp op, const UnaryParams& p) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Sqrt: case UnaryOp::Rsqrt: case UnaryOp::Tanh: case UnaryOp::Sigmoid:
    case UnaryOp::Relu:
      return true;
    case UnaryOp::Elu:
      return p.a >= 0;
    default:
      return false;
  }
}

// y = f(x) with the backend's fused derivative kernel: gx = gy * f'(x, y), where the one of
// x and y that f' does not read is given as the other.
Tensor unary_op(const char* name, const char* backward_name, UnaryOp op, const Tensor& x, UnaryParams p = {}) {
  detail::require_floating(name, x);
  Tensor xd = contiguous_data(x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x.device()).unary(op, p, xd, y);
  const Tensor saved = derivative_from_output(op, p) ? y.detach() : xd;
  return record(y, backward_name, {x}, [op, p, saved](const Tensor& g) {
    Tensor gx = Tensor::empty(saved.shape(), saved.dtype(), saved.device());
    backend_for(saved.device()).unary_backward(op, p, saved, saved, contiguous_data(g), gx);
    return std::vector<Tensor>{gx};
  });
}
}  // namespace

// d(-x) = -g: nothing saved.
Tensor neg(const Tensor& x) {
  detail::require_floating("neg", x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend_for(x.device()).unary(UnaryOp::Neg, {}, contiguous_data(x), y);
  return record(y, "NegBackward", {x}, [](const Tensor& g) { return std::vector<Tensor>{neg(g)}; });
}
Tensor exp(const Tensor& x) { return unary_op("exp", "ExpBackward", UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary_op("log", "LogBackward", UnaryOp::Log, x); }
Tensor log1p(const Tensor& x) { return unary_op("log1p", "Log1pBackward", UnaryOp::Log1p, x); }
Tensor sqrt(const Tensor& x) { return unary_op("sqrt", "SqrtBackward", UnaryOp::Sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary_op("rsqrt", "RsqrtBackward", UnaryOp::Rsqrt, x); }
Tensor abs(const Tensor& x) { return unary_op("abs", "AbsBackward", UnaryOp::Abs, x); }
Tensor square(const Tensor& x) { return unary_op("square", "SquareBackward", UnaryOp::Square, x); }
Tensor tanh(const Tensor& x) { return unary_op("tanh", "TanhBackward", UnaryOp::Tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary_op("sigmoid", "SigmoidBackward", UnaryOp::Sigmoid, x); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  if (!(beta > 0)) throw ValueError("softplus: beta must be positive, got " + std::to_string(beta));
  return unary_op("softplus", "SoftplusBackward", UnaryOp::Softplus, x, {beta, threshold});
}
Tensor relu(const Tensor& x) { return unary_op("relu", "ReluBackward", UnaryOp::Relu, x); }
Tensor elu(const Tensor& x, double alpha) { return unary_op("elu", "EluBackward", UnaryOp::Elu, x, {alpha, 0.0}); }
Tensor silu(const Tensor& x) { return unary_op("silu", "SiluBackward", UnaryOp::Silu, x); }
Tensor clamp(const Tensor& x, double min, double max) {
  if (min > max)
    throw ValueError("clamp: min must not exceed max, got min=" + std::to_string(min) + " max=" + std::to_string(max));
  return unary_op("clamp", "ClampBackward", UnaryOp::Clamp, x, {min, max});
}
Tensor atanh(const Tensor& x) { return unary_op("atanh", "AtanhBackward", UnaryOp::Atanh, x); }
Tensor log_sigmoid(const Tensor& x) { return unary_op("log_sigmoid", "LogSigmoidBackward", UnaryOp::LogSigmoid, x); }
Tensor pow(const Tensor& x, double exponent) {
  return unary_op("pow", "PowBackward", UnaryOp::PowScalar, x, {exponent, 0.0});
}

// ---------------------------------------------------------------- binary
namespace {
struct BinaryResult {
  Tensor out, a, b;  // a and b after dtype promotion
};

// out = a (op) b after promotion and broadcasting; no recording.
BinaryResult binary_forward(BinaryOp op, const char* name, const Tensor& a_in, const Tensor& b_in) {
  detail::require_same_device(name, a_in, b_in);
  DType t = promote_types(a_in.dtype(), b_in.dtype());
  if ((op == BinaryOp::Div || op == BinaryOp::Pow) && !is_floating(t)) t = kFloat32;  // true division
  Tensor a = a_in.to(t), b = b_in.to(t);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(shape, is_comparison(op) ? kUInt8 : t, a.device());
  backend_for(a.device()).binary(op, expand_data(a, shape), expand_data(b, shape), out);
  return {out, a, b};
}
}  // namespace

// d(a + b) = g, g  (summed over broadcast dims)
Tensor add(const Tensor& a, const Tensor& b) {
  auto r = binary_forward(BinaryOp::Add, "add", a, b);
  return record(r.out, "AddBackward", {r.a, r.b}, [sa = r.a.shape(), sb = r.b.shape()](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, sa), sum_to(g, sb)};
  });
}

// d(a - b) = g, -g
Tensor sub(const Tensor& a, const Tensor& b) {
  auto r = binary_forward(BinaryOp::Sub, "sub", a, b);
  return record(r.out, "SubBackward", {r.a, r.b}, [sa = r.a.shape(), sb = r.b.shape()](const Tensor& g) {
    return std::vector<Tensor>{sum_to(g, sa), sum_to(neg(g), sb)};
  });
}

// d(a b) = g b, g a. Each operand is kept only if the other one's gradient needs it (a
// product with a constant keeps no activation alive).
Tensor mul(const Tensor& a, const Tensor& b) {
  auto r = binary_forward(BinaryOp::Mul, "mul", a, b);
  const bool need_a = r.a.requires_grad(), need_b = r.b.requires_grad();
  return record(r.out, "MulBackward", {r.a, r.b},
                [need_a, need_b, sa = r.a.shape(), sb = r.b.shape(), ad = need_b ? r.a.detach() : Tensor(),
                 bd = need_a ? r.b.detach() : Tensor()](const Tensor& g) {
                  return std::vector<Tensor>{need_a ? sum_to(g * bd, sa) : Tensor(),
                                             need_b ? sum_to(g * ad, sb) : Tensor()};
                });
}

// d(a / b) = g / b, -g a / b^2 = -g out / b (the output kept only when b needs a gradient)
Tensor div(const Tensor& a, const Tensor& b) {
  auto r = binary_forward(BinaryOp::Div, "div", a, b);
  const bool need_b = r.b.requires_grad();
  return record(r.out, "DivBackward", {r.a, r.b},
                [need_b, sa = r.a.shape(), bd = r.b.detach(), od = need_b ? r.out.detach() : Tensor()](const Tensor& g) {
                  Tensor ga = g / bd;
                  return std::vector<Tensor>{sum_to(ga, sa), need_b ? sum_to(neg(ga * od), bd.shape()) : Tensor()};
                });
}

// d(a^b) = g b a^(b-1), g a^b log(a)
Tensor pow(const Tensor& a, const Tensor& b) {
  auto r = binary_forward(BinaryOp::Pow, "pow", a, b);
  const bool need_a = r.a.requires_grad(), need_b = r.b.requires_grad();
  return record(r.out, "PowBackward", {r.a, r.b},
                [need_a, need_b, ad = r.a.detach(), bd = r.b.detach(), od = r.out.detach()](const Tensor& g) {
                  return std::vector<Tensor>{
                      need_a ? sum_to(g * bd * pow(ad, bd - 1.0), ad.shape()) : Tensor(),
                      need_b ? sum_to(g * od * log(ad), bd.shape()) : Tensor()};
                });
}

// The gradient goes to the larger (smaller) input; on a tie each gets half, as PyTorch.
namespace {
Tensor extremum(BinaryOp op, const char* name, const char* backward_name, const Tensor& a, const Tensor& b) {
  auto r = binary_forward(op, name, a, b);
  return record(r.out, backward_name, {r.a, r.b}, [op, ad = r.a.detach(), bd = r.b.detach()](const Tensor& g) {
    Tensor wins = (op == BinaryOp::Maximum ? gt(ad, bd) : lt(ad, bd)).to(g.dtype());
    Tensor share_a = wins + eq(ad, bd).to(g.dtype()) * 0.5;
    return std::vector<Tensor>{sum_to(g * share_a, ad.shape()), sum_to(g * (1.0 - share_a), bd.shape())};
  });
}
}  // namespace
Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(BinaryOp::Maximum, "maximum", "MaximumBackward", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(BinaryOp::Minimum, "minimum", "MinimumBackward", a, b); }

// d where(c, a, b) = where(c, g, 0), where(c, 0, g)
Tensor where(const Tensor& cond, const Tensor& a_in, const Tensor& b_in) {
  if (cond.dtype() != kUInt8)
    throw DTypeError("where: condition must be a uint8 mask (as comparisons return), got " + detail::describe(cond));
  detail::require_same_device("where", cond, a_in);
  detail::require_same_device("where", a_in, b_in);
  const DType t = promote_types(a_in.dtype(), b_in.dtype());
  Tensor a = a_in.to(t), b = b_in.to(t);
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = Tensor::empty(shape, t, a.device());
  backend_for(a.device()).where(expand_data(cond, shape), expand_data(a, shape), expand_data(b, shape), out);
  return record(out, "WhereBackward", {a, b},
                [c = cond.detach(), sa = a.shape(), sb = b.shape()](const Tensor& g) {
                  Tensor zero = scalar_tensor(0.0, g.dtype(), g.device());
                  return std::vector<Tensor>{sum_to(where(c, g, zero), sa), sum_to(where(c, zero, g), sb)};
                });
}

// Comparisons: uint8 0/1, no gradient.
Tensor eq(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Eq, "eq", a, b).out; }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Ne, "ne", a, b).out; }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Lt, "lt", a, b).out; }
Tensor le(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Le, "le", a, b).out; }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Gt, "gt", a, b).out; }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::Ge, "ge", a, b).out; }

// ---------------------------------------------------------------- operators
namespace {
// A scalar operand takes the tensor's dtype (float32 if the tensor is integral and the
// scalar is not a whole number).
Tensor scalar_like(const Tensor& x, double v) {
  DType t = x.dtype();
  if (!is_floating(t) && std::floor(v) != v) t = kFloat32;
  return scalar_tensor(v, t, x.device());
}
}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, scalar_like(a, b)); }
Tensor operator>(const Tensor& a, double b) { return gt(a, scalar_like(a, b)); }

}  // namespace aime
