// 2-D convolution and its transpose over NCHW images, through im2col/col2im and GEMM.
// conv_transpose2d is conv2d's input gradient, so three kernels serve both ops (and a fourth,
// the forward and weight gradient over one input's columns, serves conv_transpose2d's backward).
#pragma once
#include "autograd/ops/op.h"
#include "autograd/tensor.h"

namespace aime {

// x [N, C, H, W], weight [O, C, kh, kw], bias [O] (optional) -> [N, O, Ho, Wo] with
// Ho = (H + 2 padding - kh) / stride + 1 (cross-correlation, as torch.nn.Conv2d).
AIME_OP Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                      std::int64_t stride = 1, std::int64_t padding = 0);
// x [N, C, H, W], weight [C, O, kh, kw] (torch's layout), bias [O] -> [N, O, Ho, Wo] with
// Ho = (H - 1) stride - 2 padding + kh + output_padding (output_padding < stride).
AIME_OP Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                                std::int64_t stride = 1, std::int64_t padding = 0,
                                std::int64_t output_padding = 0);

}  // namespace aime
