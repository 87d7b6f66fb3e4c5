// Elementwise ops. Binary ops broadcast like NumPy and promote dtypes like PyTorch
// (float64 > float32 > int64 > uint8; div and pow of integers give float32). Comparisons
// return uint8 0/1 and are not differentiable. Unary maths ops need a floating dtype.
// The value and derivative of every unary op are written side by side in
// elementwise_math.h.
#pragma once
#include "autograd/ops/op.h"
#include "autograd/tensor.h"

namespace aime {

AIME_OP Tensor add(const Tensor& a, const Tensor& b);
AIME_OP Tensor sub(const Tensor& a, const Tensor& b);
AIME_OP Tensor mul(const Tensor& a, const Tensor& b);
AIME_OP Tensor div(const Tensor& a, const Tensor& b);
AIME_OP Tensor pow(const Tensor& a, const Tensor& b);   // a > 0 where b is not an integer
Tensor pow(const Tensor& a, double exponent);           // the same op with a scalar exponent
AIME_OP Tensor maximum(const Tensor& a, const Tensor& b);  // ties split the gradient in half
AIME_OP Tensor minimum(const Tensor& a, const Tensor& b);
// cond (uint8, nonzero = true) ? a : b, all three broadcast together.
AIME_OP Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

AIME_OP Tensor eq(const Tensor& a, const Tensor& b);
AIME_OP Tensor ne(const Tensor& a, const Tensor& b);
AIME_OP Tensor lt(const Tensor& a, const Tensor& b);
AIME_OP Tensor le(const Tensor& a, const Tensor& b);
AIME_OP Tensor gt(const Tensor& a, const Tensor& b);
AIME_OP Tensor ge(const Tensor& a, const Tensor& b);

AIME_OP Tensor neg(const Tensor& x);
AIME_OP Tensor exp(const Tensor& x);
AIME_OP Tensor log(const Tensor& x);
AIME_OP Tensor log1p(const Tensor& x);
AIME_OP Tensor sqrt(const Tensor& x);
AIME_OP Tensor rsqrt(const Tensor& x);
AIME_OP Tensor abs(const Tensor& x);
AIME_OP Tensor square(const Tensor& x);
AIME_OP Tensor tanh(const Tensor& x);
AIME_OP Tensor sigmoid(const Tensor& x);
// log(1 + exp(beta x)) / beta, linear above beta x > threshold (as torch.nn.Softplus).
AIME_OP Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
AIME_OP Tensor relu(const Tensor& x);
AIME_OP Tensor elu(const Tensor& x, double alpha = 1.0);
AIME_OP Tensor silu(const Tensor& x);  // x * sigmoid(x), a.k.a. swish
AIME_OP Tensor clamp(const Tensor& x, double min, double max);
AIME_OP Tensor atanh(const Tensor& x);
AIME_OP Tensor log_sigmoid(const Tensor& x);

// Operators, with scalars on either side (the scalar takes the tensor's dtype).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);

}  // namespace aime
