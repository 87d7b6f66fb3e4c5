// Matrix products: the GEMM hot path of every layer.
#pragma once
#include "autograd/ops/op.h"
#include "autograd/tensor.h"

namespace aime {

// [M, K] x [K, N] -> [M, N]; [B, M, K] x [B, K, N] -> [B, M, N], where either batch may be
// 1 or missing (a 2-D operand) and is broadcast.
AIME_OP Tensor matmul(const Tensor& a, const Tensor& b);
// y = x W^T + b for x [..., in], W [out, in], b [out] (optional): torch.nn.functional.linear,
// fused so that forward is one GEMM and backward two (plus a row sum for b).
AIME_OP Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace aime
