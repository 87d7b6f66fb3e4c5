// Direct convolution (no column buffers) for layers with few output channels and many output
// positions: the cnn_ha layers next to the image at the demo's width (3 -> 8 and 8 -> 16
// channels, and the decoder's last two layers, whose backward is this conv over dy). There
// im2col + GEMM is bound by writing and reading columns 4-9 times the image's size for a
// product with K or N of 8-16 (benchmarks/README.md, lever 22). Internal to the CPU backend.
#pragma once
#include <cstdint>

#include "autograd/ops/conv_geometry.h"

namespace aime::cpu {

// Whether the direct kernels take this geometry: no padding, at most kConvDirectMaxOutputs
// output channels, more than `min_positions` output positions per image.
bool conv_direct_applies(const ConvGeometry& g, std::int64_t min_positions);
// The input gradient's kernel vectorises over a phase's columns (w / sw of them) and beat
// im2col + GEMM only where they fill 3-4 vectors: on the decoder's last layer (32 columns),
// not on 15-16 (benchmarks/README.md, lever 22). The other two kernels apply wherever
// conv_direct_applies.
bool conv_direct_input_applies(const ConvGeometry& g, std::int64_t min_positions);

// y [n, O, ho, wo] = conv2d(x [n, C, h, w], w [O, C, kh, kw]), overwriting y.
template <class T>
void conv2d_forward_direct(const ConvGeometry& g, const T* x, const T* w, T* y);

// gx [n, C, h, w] = d conv2d / dx applied to gy [n, O, ho, wo] (overwrites gx).
template <class T>
void conv2d_backward_input_direct(const ConvGeometry& g, const T* gy, const T* w, T* gx);

// The same input gradient with the input channels in the vector instead of the columns: for
// unpadded layers of at most 32 input channels, with more than `min_positions` output
// positions per image, whose rows are too short for conv2d_backward_input_direct; with fewer
// than half a vector's lanes of channels in use, only up to 16 output channels.
bool conv_channel_input_applies(const ConvGeometry& g, std::int64_t min_positions);
template <class T>
void conv2d_backward_input_channels(const ConvGeometry& g, const T* gy, const T* w, T* gx);

// gw [O, C, kh, kw] = sum over images of dy . x's patches (overwrites gw); with w and y given,
// also y = conv2d(x, w) (conv_transpose2d's backward needs both over the same input).
template <class T>
void conv2d_backward_weight_direct(const ConvGeometry& g, const T* gy, const T* x, T* gw, const T* w = nullptr,
                                   T* y = nullptr);

}  // namespace aime::cpu
