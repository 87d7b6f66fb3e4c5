// The geometry of one conv2d call, shared by the CPU and CUDA kernels (im2col, col2im and
// the GEMM sizes): x [n, c, h, w], weight [o, c, kh, kw], y [n, o, ho, wo], strides and
// padding. Internal to the backends.
#pragma once
#include <cstdint>

#include "autograd/backend.h"
#include "autograd/ops/elementwise_math.h"  // AIME_HD

namespace aime {

struct ConvGeometry {
  std::int64_t n, c, h, w, o, kh, kw, ho, wo, sh, sw, ph, pw;
  AIME_HD std::int64_t ck() const { return c * kh * kw; }  // rows of a column buffer
  AIME_HD std::int64_t l() const { return ho * wo; }       // output positions per image
};

// From the conv's input (or input gradient) x, weight w and output (or output gradient) y.
inline ConvGeometry conv_geometry(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dParams& p) {
  return {x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3], w.shape()[0], w.shape()[2], w.shape()[3],
          y.shape()[2], y.shape()[3], p.stride_h, p.stride_w, p.pad_h, p.pad_w};
}

}  // namespace aime
