// CPU elementwise kernels: the maths is in autograd/ops/elementwise_math.h; these are the
// loops (flat when every operand is contiguous, row-strided otherwise).
#include "autograd/cpu/eigen_core.h"
#include <cmath>
#include <type_traits>
#include <limits>

#include "autograd/cpu/cpu_backend.h"
#include "autograd/cpu/strided_loop.h"
#include "autograd/ops/elementwise_math.h"

namespace aime::cpu {

namespace {
// The transcendental ops through Eigen's vectorised array functions (SIMD exp, tanh):
// several times faster than a scalar std:: call per element. Returns false for other ops,
// which take the generic loop over elementwise_math.h. Same maths, so both paths agree to
// a few ulp; the tests compare them against closed forms either way.
template <class T>
bool vectorised_unary(UnaryOp op, const UnaryParams& p, const T* px, T* py, std::int64_t n) {
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
  // Not log: Eigen 3.4's vectorised log(0) returns -709 for double instead of -inf.
  if (op != UnaryOp::Exp && op != UnaryOp::Tanh && op != UnaryOp::Sigmoid && op != UnaryOp::Sqrt &&
      op != UnaryOp::Elu && op != UnaryOp::Silu && op != UnaryOp::Softplus)
    return false;
  // Eigen 3.4 has no vectorised expm1 (it calls the scalar one): elu's float32 path uses
  // exp(x) - 1, and x + x^2/2 + x^3/6 where |x| < 1e-2 (relative error below 5e-8, under
  // float32's epsilon). float64 keeps the exact scalar loop.
  if (op == UnaryOp::Elu && !std::is_same<T, float>::value) return false;
  const T kMinLog = std::log(std::numeric_limits<T>::min());
  const T a = static_cast<T>(p.a), b = static_cast<T>(p.b);
  // Eigen 3.4's select() has no packet version either: an expression holding one runs
  // scalar, exp included. So exp, elu and softplus take their transcendental part through
  // Eigen into a small buffer, and a plain loop (which GCC vectorises with masks, on AVX2
  // only under -fno-trapping-math: CMakeLists.txt) picks the branch per element.
  constexpr std::int64_t kPiece = 512;
  parallel_for(0, n, kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
    if (op == UnaryOp::Tanh || op == UnaryOp::Sigmoid || op == UnaryOp::Sqrt || op == UnaryOp::Silu) {
      Eigen::Map<const Array> in(px + lo, hi - lo);
      Eigen::Map<Array> out(py + lo, hi - lo);
      if (op == UnaryOp::Tanh) out = in.tanh();
      else if (op == UnaryOp::Sigmoid) out = T(1) / (T(1) + (-in).exp());  // exp(-x) = inf gives 0
      else if (op == UnaryOp::Sqrt) out = in.sqrt();
      else out = in / (T(1) + (-in).exp());
      return;
    }
    alignas(64) T e[kPiece], l[kPiece];
    for (std::int64_t s = lo; s < hi; s += kPiece) {
      const std::int64_t len = std::min(kPiece, hi - s);
      const T* x = px + s;
      T* y = py + s;
      Eigen::Map<const Array> in(x, len);
      Eigen::Map<Array> ex(e, len), lg(l, len);
      switch (op) {
        // Eigen clamps the argument of exp, so exp(-inf) would be the smallest normal
        // number, not 0 (and logsumexp of -inf would not be -inf): results below the
        // smallest normal flush to zero instead.
        case UnaryOp::Exp:
          ex = in.exp();
          for (std::int64_t i = 0; i < len; ++i) y[i] = x[i] < kMinLog ? T(0) : e[i];
          break;
        // The activations of the world model's MLPs (elu: RSSM, silu: RSSMO) and its std
        // heads (softplus): scalar expm1/exp/log1p per element were 5-10% of an mdp step.
        case UnaryOp::Elu:
          ex = in.min(T(0)).exp();
          for (std::int64_t i = 0; i < len; ++i) {
            const T v = x[i];
            const T small = v * (T(1) + v * (T(0.5) + v * T(1.0 / 6.0)));
            const T negative = a * ((v < T(0) ? -v : v) < T(1e-2) ? small : e[i] - T(1));
            y[i] = v > T(0) || v != v ? v : negative;  // NaN passes through
          }
          break;
        // softplus(x) = log1p(exp(a x)) / a below the threshold b, x above it; log1p(u) =
        // log(w) u / (w - 1) with w = 1 + u (exactly u where w rounds to 1).
        case UnaryOp::Softplus:
          ex = (a * in).min(b).exp();
          lg = (T(1) + ex).log();
          for (std::int64_t i = 0; i < len; ++i) {
            const T u = a * x[i] < kMinLog ? T(0) : e[i], w = T(1) + u;  // exp(-inf) = 0, as in Exp
            const T log1p = w == T(1) ? u : l[i] * (u / (w - T(1)));
            y[i] = a * x[i] > b || x[i] != x[i] ? x[i] : log1p / a;  // NaN passes through
          }
          break;
        default: break;
      }
    }
  });
  return true;
}
}  // namespace

void CpuBackend::unary(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y) {
  AIME_DISPATCH_FLOATING(x.dtype(), "unary", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.data_ptr());
    scalar_t* py = static_cast<scalar_t*>(y.data_ptr());
    if (vectorised_unary(op, p, px, py, x.numel())) return;
    const scalar_t a = static_cast<scalar_t>(p.a), b = static_cast<scalar_t>(p.b);
    math::dispatch_unary(op, [&](auto f) {
      using F = decltype(f);
      parallel_for(0, x.numel(), kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t i = lo; i < hi; ++i) py[i] = F::f(px[i], a, b);
      });
    });
  });
}

void CpuBackend::unary_backward(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                                const Tensor& gx) {
  AIME_DISPATCH_FLOATING(x.dtype(), "unary_backward", [&] {
    const scalar_t* px = static_cast<const scalar_t*>(x.data_ptr());
    const scalar_t* py = static_cast<const scalar_t*>(y.data_ptr());
    const scalar_t* pg = static_cast<const scalar_t*>(gy.data_ptr());
    scalar_t* pgx = static_cast<scalar_t*>(gx.data_ptr());
    const scalar_t a = static_cast<scalar_t>(p.a), b = static_cast<scalar_t>(p.b);
    if (op == UnaryOp::Silu || op == UnaryOp::Softplus) {  // derivatives through a vectorised exp
      using Array = Eigen::Array<scalar_t, Eigen::Dynamic, 1>;
      parallel_for(0, x.numel(), kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
        Eigen::Map<const Array> in(px + lo, hi - lo), g(pg + lo, hi - lo);
        Eigen::Map<Array> out(pgx + lo, hi - lo);
        if (op == UnaryOp::Silu) {
          const Array sig = scalar_t(1) / (scalar_t(1) + (-in).exp());
          out = g * sig * (scalar_t(1) + in * (scalar_t(1) - sig));
        } else {
          out = (a * in > b).select(g, g / (scalar_t(1) + (-a * in).exp()));
        }
      });
      return;
    }
    math::dispatch_unary(op, [&](auto f) {
      using F = decltype(f);
      parallel_for(0, x.numel(), kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t i = lo; i < hi; ++i) pgx[i] = pg[i] * F::df(px[i], py[i], a, b);
      });
    });
  });
}

namespace {
template <class T, class O, class F>
void binary_loop(const Tensor& a, const Tensor& b, const Tensor& out) {
  const T* pa = static_cast<const T*>(a.data_ptr());
  const T* pb = static_cast<const T*>(b.data_ptr());
  O* po = static_cast<O*>(out.data_ptr());
  const std::int64_t n = out.numel();
  if (out.is_contiguous() && a.is_contiguous() && b.is_contiguous()) {
    parallel_for(0, n, kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) po[i] = F::f(pa[i], pb[i]);
    });
    return;
  }
  const bool b_scalar = std::all_of(b.strides().begin(), b.strides().end(), [](std::int64_t s) { return s == 0; });
  if (out.is_contiguous() && a.is_contiguous() && b_scalar) {  // x op scalar
    const T vb = *pb;
    parallel_for(0, n, kGrainSize, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) po[i] = F::f(pa[i], vb);
    });
    return;
  }
  for_each_row<3>(out.shape(), {&a.strides(), &b.strides(), &out.strides()}, [&](auto off, std::int64_t m, auto st) {
    const T* ra = pa + off[0];
    const T* rb = pb + off[1];
    O* ro = po + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (std::int64_t i = 0; i < m; ++i) ro[i] = F::f(ra[i], rb[i]);
    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
      const T vb = *rb;
      for (std::int64_t i = 0; i < m; ++i) ro[i] = F::f(ra[i], vb);
    } else {
      for (std::int64_t i = 0; i < m; ++i) ro[i * st[2]] = F::f(ra[i * st[0]], rb[i * st[1]]);
    }
  });
}
}  // namespace

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  AIME_DISPATCH_ALL(a.dtype(), "binary", [&] {
    math::dispatch_binary(op, [&](auto f) {
      using F = decltype(f);
      if (is_comparison(op))
        binary_loop<scalar_t, std::uint8_t, F>(a, b, out);
      else
        binary_loop<scalar_t, scalar_t, F>(a, b, out);
    });
  });
}

}  // namespace aime::cpu
