// The maths of every elementwise op, written once and shared by all backends: the CPU
// kernels instantiate these functors in loops, the CUDA kernels in device code. Each unary
// op's value f and derivative df sit side by side; df may use y = f(x) where that is
// cheaper or more stable (exp, tanh, sigmoid).
#pragma once
#include <cmath>
#include <cstdint>

#include "autograd/backend.h"

#if defined(__CUDACC__)
#define AIME_HD __host__ __device__ inline
#else
#define AIME_HD inline
#endif

namespace aime::math {

template <class T> AIME_HD T sigmoid(T x) {
  // 1 / (1 + e^-x), evaluated so that exp never overflows.
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <UnaryOp Op> struct Unary;
#define AIME_UNARY(OP, F, DF)                                                           \
  template <> struct Unary<UnaryOp::OP> {                                               \
    template <class T> AIME_HD static T f(T x, T a, T b) { (void)a; (void)b; return F; } \
    template <class T> AIME_HD static T df(T x, T y, T a, T b) {                        \
      (void)x; (void)y; (void)a; (void)b; return DF;                                     \
    }                                                                                   \
  };

//          op          y = f(x)                                      dy/dx
AIME_UNARY(Neg,        -x,                                            T(-1))
AIME_UNARY(Exp,        std::exp(x),                                   y)
AIME_UNARY(Log,        std::log(x),                                   T(1) / x)
AIME_UNARY(Log1p,      std::log1p(x),                                 T(1) / (T(1) + x))
AIME_UNARY(Sqrt,       std::sqrt(x),                                  T(0.5) / y)
AIME_UNARY(Rsqrt,      T(1) / std::sqrt(x),                           T(-0.5) * y * y * y)
AIME_UNARY(Abs,        std::abs(x),                                   x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)))
AIME_UNARY(Square,     x * x,                                         T(2) * x)
AIME_UNARY(Tanh,       std::tanh(x),                                  T(1) - y * y)
AIME_UNARY(Sigmoid,    sigmoid(x),                                    y * (T(1) - y))
// softplus with beta a, threshold b: log(1 + e^(a x)) / a, or x where a x > b.
AIME_UNARY(Softplus,   a * x > b ? x : std::log1p(std::exp(a * x)) / a, a * x > b ? T(1) : sigmoid(a * x))
AIME_UNARY(Relu,       x > T(0) ? x : T(0),                           x > T(0) ? T(1) : T(0))
// elu with alpha a: x for x > 0, a (e^x - 1) otherwise; there dy/dx = a e^x = y + a.
AIME_UNARY(Elu,        x > T(0) ? x : a * std::expm1(x),              x > T(0) ? T(1) : y + a)
// silu(x) = x s(x) with s = sigmoid; d/dx = s(x) (1 + x (1 - s(x))).
AIME_UNARY(Silu,       x * sigmoid(x),                                sigmoid(x) * (T(1) + x * (T(1) - sigmoid(x))))
// clamp to [a, b]; the gradient passes where a <= x <= b (as PyTorch).
AIME_UNARY(Clamp,      x < a ? a : (x > b ? b : x),                   (x >= a && x <= b) ? T(1) : T(0))
AIME_UNARY(Atanh,      std::atanh(x),                                 T(1) / (T(1) - x * x))
// log sigmoid(x) = min(x, 0) - log(1 + e^-|x|); d/dx = 1 - sigmoid(x) = sigmoid(-x).
AIME_UNARY(LogSigmoid, (x < T(0) ? x : T(0)) - std::log1p(std::exp(-std::abs(x))), sigmoid(-x))
// x^a for a scalar a; d/dx = a x^(a-1).
AIME_UNARY(PowScalar,  std::pow(x, a),                                a * std::pow(x, a - T(1)))
#undef AIME_UNARY

// Calls fn(Unary<op>{}) for a runtime op: the switch sits outside the kernel's loop.
template <class Fn> void dispatch_unary(UnaryOp op, Fn&& fn) {
  switch (op) {
#define AIME_CASE(OP) case UnaryOp::OP: fn(Unary<UnaryOp::OP>{}); break;
    AIME_CASE(Neg) AIME_CASE(Exp) AIME_CASE(Log) AIME_CASE(Log1p) AIME_CASE(Sqrt) AIME_CASE(Rsqrt)
    AIME_CASE(Abs) AIME_CASE(Square) AIME_CASE(Tanh) AIME_CASE(Sigmoid) AIME_CASE(Softplus)
    AIME_CASE(Relu) AIME_CASE(Elu) AIME_CASE(Silu) AIME_CASE(Clamp) AIME_CASE(Atanh)
    AIME_CASE(LogSigmoid) AIME_CASE(PowScalar)
#undef AIME_CASE
  }
}

// Binary ops: out = f(a, b). Their gradients are composites (elementwise.cpp).
template <BinaryOp Op> struct Binary;
#define AIME_BINARY(OP, F) \
  template <> struct Binary<BinaryOp::OP> { template <class T> AIME_HD static auto f(T a, T b) { return F; } };
AIME_BINARY(Add, static_cast<T>(a + b))
AIME_BINARY(Sub, static_cast<T>(a - b))
AIME_BINARY(Mul, static_cast<T>(a * b))
AIME_BINARY(Div, static_cast<T>(a / b))
AIME_BINARY(Pow, static_cast<T>(std::pow(a, b)))
// maximum/minimum propagate NaN, as torch.maximum does.
AIME_BINARY(Maximum, (a != a || a > b) ? a : b)
AIME_BINARY(Minimum, (a != a || a < b) ? a : b)
AIME_BINARY(Eq, static_cast<std::uint8_t>(a == b))
AIME_BINARY(Ne, static_cast<std::uint8_t>(a != b))
AIME_BINARY(Lt, static_cast<std::uint8_t>(a < b))
AIME_BINARY(Le, static_cast<std::uint8_t>(a <= b))
AIME_BINARY(Gt, static_cast<std::uint8_t>(a > b))
AIME_BINARY(Ge, static_cast<std::uint8_t>(a >= b))
#undef AIME_BINARY

template <class Fn> void dispatch_binary(BinaryOp op, Fn&& fn) {
  switch (op) {
#define AIME_CASE(OP) case BinaryOp::OP: fn(Binary<BinaryOp::OP>{}); break;
    AIME_CASE(Add) AIME_CASE(Sub) AIME_CASE(Mul) AIME_CASE(Div) AIME_CASE(Pow) AIME_CASE(Maximum)
    AIME_CASE(Minimum) AIME_CASE(Eq) AIME_CASE(Ne) AIME_CASE(Lt) AIME_CASE(Le) AIME_CASE(Gt) AIME_CASE(Ge)
#undef AIME_CASE
  }
}

}  // namespace aime::math
