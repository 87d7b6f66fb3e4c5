// conv2d and conv_transpose2d. Each is the other's input gradient, so both are built from
// the backend's three conv kernels (forward, backward-input, backward-weight); the transposed
// conv's backward uses the fourth, both of the first and last over dy's columns at once.
#include "autograd/ops/conv.h"

#include "autograd/ops/op_util.h"
#include "autograd/ops/reduce.h"

namespace aime {
using detail::contiguous_data;

namespace {
std::string conv_shapes(const Tensor& x, const Tensor& w, const Tensor& b) {
  return "input " + shape_str(x.shape()) + ", weight " + shape_str(w.shape()) +
         (b.defined() ? ", bias " + shape_str(b.shape()) : std::string());
}

void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t in_channels_dim,
                     std::int64_t out_channels, std::int64_t stride, std::int64_t padding) {
  auto fail = [&](const std::string& why) {
    throw ShapeError(std::string(op) + ": " + why + ", got " + conv_shapes(x, w, b));
  };
  if (x.dim() != 4) fail("input must be [N, C, H, W]");
  if (w.dim() != 4) fail("weight must be 4-D");
  if (x.shape()[1] != w.shape()[in_channels_dim]) fail("input channels must match the weight's");
  if (b.defined() && (b.dim() != 1 || b.shape()[0] != out_channels)) fail("bias must be [out_channels]");
  if (stride < 1 || padding < 0)
    throw ValueError(std::string(op) + ": stride must be >= 1 and padding >= 0, got stride " + std::to_string(stride) +
                     ", padding " + std::to_string(padding));
  detail::require_floating(op, x);
  if (w.dtype() != x.dtype() || (b.defined() && b.dtype() != x.dtype()))
    throw DTypeError(std::string(op) + ": input, weight and bias must share a dtype");
  detail::require_same_device(op, x, w);
}

// y += b broadcast over [N, O, H, W] (in place on a fresh output).
void add_bias(const Tensor& y, const Tensor& b) {
  if (!b.defined()) return;
  const std::int64_t o = b.shape()[0];
  Tensor bd = detail::expand_data(b.detach().reshape({1, o, 1, 1}), y.shape());
  backend_for(y.device()).binary(BinaryOp::Add, y, bd, y);
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride, std::int64_t padding) {
  check_conv_args("conv2d", x, weight, bias, 1, weight.dim() == 4 ? weight.shape()[0] : -1, stride, padding);
  const std::int64_t ho = (x.shape()[2] + 2 * padding - weight.shape()[2]) / stride + 1;
  const std::int64_t wo = (x.shape()[3] + 2 * padding - weight.shape()[3]) / stride + 1;
  if (x.shape()[2] + 2 * padding < weight.shape()[2] || x.shape()[3] + 2 * padding < weight.shape()[3])
    throw ShapeError("conv2d: kernel larger than the padded input, got " + conv_shapes(x, weight, bias) +
                     " with padding " + std::to_string(padding));
  const Conv2dParams p{stride, stride, padding, padding};
  Tensor xd = contiguous_data(x), wd = contiguous_data(weight);
  Tensor y = Tensor::empty({x.shape()[0], weight.shape()[0], ho, wo}, x.dtype(), x.device());
  backend_for(x.device()).conv2d_forward(xd, wd, p, y);
  add_bias(y, bias);
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
  return record(y, "Conv2dBackward", {x, weight, bias}, [=](const Tensor& g) {
    Tensor gd = contiguous_data(g), gx, gw, gb;
    if (need_x) {
      gx = Tensor::empty(xd.shape(), g.dtype(), g.device());
      backend_for(g.device()).conv2d_backward_input(gd, wd, p, gx);
    }
    if (need_w) {
      gw = Tensor::empty(wd.shape(), g.dtype(), g.device());
      backend_for(g.device()).conv2d_backward_weight(gd, xd, p, gw);
    }
    if (need_b) gb = sum(gd, {0, 2, 3});  // d loss / d b[o]: dy[n, o, h, w] summed over n, h, w
    return std::vector<Tensor>{gx, gw, gb};
  });
}

// y = conv2d_backward_input(x) with the weight [C_in, C_out, kh, kw] read as a conv2d
// weight [O = C_in, C = C_out, kh, kw];  dx = conv2d(dy, W);  dW from backward_weight with
// the roles of input and output swapped.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride,
                        std::int64_t padding, std::int64_t output_padding) {
  check_conv_args("conv_transpose2d", x, weight, bias, 0, weight.dim() == 4 ? weight.shape()[1] : -1, stride, padding);
  if (output_padding < 0 || output_padding >= stride)
    throw ValueError("conv_transpose2d: output_padding must be in [0, stride), got " + std::to_string(output_padding) +
                     " with stride " + std::to_string(stride));
  const std::int64_t ho = (x.shape()[2] - 1) * stride - 2 * padding + weight.shape()[2] + output_padding;
  const std::int64_t wo = (x.shape()[3] - 1) * stride - 2 * padding + weight.shape()[3] + output_padding;
  if (ho <= 0 || wo <= 0)
    throw ShapeError("conv_transpose2d: padding leaves an empty output, got " + conv_shapes(x, weight, bias) +
                     " with padding " + std::to_string(padding));
  const Conv2dParams p{stride, stride, padding, padding};
  Tensor xd = contiguous_data(x), wd = contiguous_data(weight);
  Tensor y = Tensor::empty({x.shape()[0], weight.shape()[1], ho, wo}, x.dtype(), x.device());
  backend_for(x.device()).conv2d_backward_input(xd, wd, p, y);
  add_bias(y, bias);
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
  return record(y, "ConvTranspose2dBackward", {x, weight, bias}, [=](const Tensor& g) {
    Tensor gd = contiguous_data(g), gx, gw, gb;
    if (need_x) gx = Tensor::empty(xd.shape(), g.dtype(), g.device());
    if (need_w) gw = Tensor::empty(wd.shape(), g.dtype(), g.device());
    Backend& be = backend_for(g.device());
    if (need_x && need_w) {
      be.conv2d_forward_and_backward_weight(gd, wd, xd, p, gx, gw);  // cols(dy) formed once for both
    } else if (need_x) {
      be.conv2d_forward(gd, wd, p, gx);
    } else if (need_w) {
      be.conv2d_backward_weight(xd, gd, p, gw);
    }
    if (need_b) gb = sum(gd, {0, 2, 3});
    return std::vector<Tensor>{gx, gw, gb};
  });
}

}  // namespace aime
