// The seam between ops and devices (after flashlight). An op in autograd/ops/ checks its
// arguments, works out shapes and dtypes, allocates outputs, records its backward, and
// hands the arithmetic to the Backend of its inputs' device. A backend implements only
// these primitives; everything else (views, broadcasting, composite ops, every backward)
// is built from them and so runs on each backend for free.
//
// The CPU backend lives in autograd/cpu/ (Eigen + OpenMP); a CUDA backend registers itself
// for Device::Kind::CUDA from autograd/cuda/. This header is internal to op and backend
// code and pulls in no device headers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "autograd/tensor.h"

namespace aime {

// Elementwise functions of one tensor. Their maths (value and derivative, side by side)
// is in autograd/ops/elementwise_math.h, shared by every backend.
enum class UnaryOp : std::uint8_t {
  Neg, Exp, Log, Log1p, Sqrt, Rsqrt, Abs, Square, Tanh, Sigmoid, Softplus, Relu, Elu, Silu,
  Clamp, Atanh, LogSigmoid, PowScalar
};
// Parameters some unary ops take: Elu alpha (a); Clamp bounds (a, b); PowScalar exponent
// (a); Softplus beta (a) and threshold (b).
struct UnaryParams {
  double a = 0.0;
  double b = 0.0;
};

enum class BinaryOp : std::uint8_t {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge  // comparisons: uint8 0/1 output
};
inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

enum class ReduceOp : std::uint8_t { Sum, Max };

// conv2d geometry, shared by conv2d and conv_transpose2d (which is conv2d's input gradient).
struct Conv2dParams {
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
};

// One Adam update, PyTorch's rule (torch.optim.Adam/AdamW, single-tensor path), with
// g = grad (negated when maximize), t = step (1-based), and for Adam's L2 decay
// g += weight_decay * p, for AdamW's decoupled decay p *= 1 - lr * weight_decay first:
//   m = m + (1 - beta1) (g - m)                 (lerp, as PyTorch writes it)
//   v = beta2 v + (1 - beta2) g^2
//   vmax = max(vmax, v)                         (amsgrad only; denominators use vmax)
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
struct AdamStepParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled_weight_decay = false;  // true: AdamW
  bool amsgrad = false;
  bool maximize = false;
  std::int64_t step = 1;
};

struct MemoryStats {
  std::int64_t allocated_bytes = 0;  // in live storages
  std::int64_t peak_bytes = 0;       // max of allocated_bytes since start or reset
  std::int64_t reserved_bytes = 0;   // held from the system (>= allocated with a cache)
  std::int64_t num_allocs = 0;       // calls to the system allocator so far (cache hits
                                     // do not count: flat in a steady training loop)
  std::int64_t num_frees = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // Devices of this kind present at run time (a CUDA build on a machine without a GPU has 0).
  virtual int device_count() const = 0;

  // ---- memory ----
  virtual void* allocate(std::size_t nbytes, int device_index) = 0;
  virtual void deallocate(void* ptr, std::size_t nbytes, int device_index) = 0;
  virtual MemoryStats memory_stats(int device_index) const = 0;
  virtual void reset_peak_memory(int device_index) = 0;
  // Hands cached free blocks back to the system (allocated_bytes is unchanged).
  virtual void empty_cache(int device_index) = 0;
  virtual void copy_to_host(void* dst, const void* src, std::size_t nbytes, int device_index) = 0;
  virtual void copy_from_host(void* dst, const void* src, std::size_t nbytes, int device_index) = 0;
  virtual void synchronize(int device_index) = 0;

  // ---- kernels ----
  // Unless said otherwise: tensors are on this backend's device and all of one dtype;
  // `out` is allocated by the caller with the right shape.
  virtual void fill(const Tensor& out, double value) = 0;  // any strides
  virtual void arange(const Tensor& out, double start, double step) = 0;  // contiguous
  // dst[i] = cast(src[i]); same shape, any strides, dtypes may differ.
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  // y = f(x); x and y contiguous, same shape (floating dtypes).
  virtual void unary(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y) = 0;
  // gx = gy * f'(x) (f' may use y = f(x)); all contiguous.
  virtual void unary_backward(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y,
                              const Tensor& gy, const Tensor& gx) = 0;
  // out = a (op) b; a and b already expanded to out's shape (stride 0 where broadcast).
  // out may alias a (in-place ops); it is uint8 for comparisons.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // out = cond ? a : b; cond uint8; all expanded to out's shape.
  virtual void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // Reduces each row of x [R, K] (contiguous) into out [R]; for Max also the argmax into
  // `indices` [R] int64 when defined (first maximum wins).
  virtual void reduce_rows(ReduceOp op, const Tensor& x, const Tensor& out, const Tensor& indices) = 0;
  // c[b] = op(a[b]) op(b[b]) + beta * c[b]; a, b, c contiguous 3-D, a's and b's batch is 1
  // (broadcast) or c's batch. op(m) = m^T when the trans flag is set.
  virtual void gemm(bool trans_a, bool trans_b, const Tensor& a, const Tensor& b, const Tensor& c,
                    double beta) = 0;
  // A weight that many products over few rows reuse (a recurrence's steps), kept rearranged
  // for the backend's kernel so that each product need not rearrange it (autograd/weight_pack.h
  // decides when). pack_weight gives op(w) [k, n] for w [n, k] (transposed) or w [k, n];
  // null when the backend has no such kernel for it (then gemm runs as before). A packing is
  // a copy: it does not see later writes to w.
  struct PackedWeight {
    virtual ~PackedWeight() = default;
  };
  virtual std::shared_ptr<const PackedWeight> pack_weight(const Tensor& w, bool transposed) {
    (void)w, (void)transposed;
    return nullptr;
  }
  // c [m, n] = a [m, k] op(w) + beta c; a and c contiguous 2-D. Only with a packing of this
  // backend's own pack_weight.
  virtual void gemm_packed(const Tensor& a, const PackedWeight& w, const Tensor& c, double beta) {
    (void)a, (void)w, (void)c, (void)beta;
    throw DeviceError(std::string("gemm_packed: the ") + name() + " backend packs no weights");
  }
  // y [N, O, Ho, Wo] = conv2d(x [N, C, H, W], w [O, C, kh, kw]); all contiguous.
  virtual void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) = 0;
  // gx [N, C, H, W] = d conv2d / dx applied to gy (overwrites gx).
  virtual void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dParams& p,
                                     const Tensor& gx) = 0;
  // gw [O, C, kh, kw] = d conv2d / dw applied to gy, summed over the batch (overwrites gw).
  virtual void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p,
                                      const Tensor& gw) = 0;
  // Both of the above that read x's columns, in one pass: y = conv2d(x, w) and gw = d conv2d /
  // dw at x applied to gy (gy shaped as y). conv_transpose2d's backward is exactly this pair
  // (its dx is a conv over dy, its dw a weight gradient over dy), so a backend that forms
  // the columns explicitly can form them once. This default runs the two kernels.
  virtual void conv2d_forward_and_backward_weight(const Tensor& x, const Tensor& w, const Tensor& gy,
                                                  const Conv2dParams& p, const Tensor& y, const Tensor& gw) {
    conv2d_forward(x, w, p, y);
    conv2d_backward_weight(gy, x, p, gw);
  }
  // x viewed as [outer, n, inner] (contiguous), index int64 [m] (contiguous) ->
  // out [outer, m, inner]. Throws ValueError on an index outside [0, n).
  virtual void index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) = 0;
  // dst[.., index[i], ..] += src[.., i, ..] along dim (dst and src contiguous).
  virtual void index_add(const Tensor& dst, std::int64_t dim, const Tensor& index, const Tensor& src) = 0;
  // out [..., C] (zeroed by the kernel) gets 1 at each index; throws on out-of-range.
  virtual void one_hot(const Tensor& index, const Tensor& out) = 0;
  // ---- fused optimiser updates (one pass over memory; see AdamStepParams) ----
  // param, grad, exp_avg, exp_avg_sq (and max_exp_avg_sq when amsgrad, else undefined):
  // contiguous, same shape and floating dtype. Updates param and the state in place.
  // The step count arrives as a host value: a captured CUDA graph would need it on the
  // device instead (PyTorch's `capturable`), which a CUDA backend can add behind this call.
  virtual void adam_step(const AdamStepParams& p, const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                         const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq) = 0;
};

// The backend for a device; throws DeviceError if it is not built in (e.g. CUDA in a
// CPU-only build) with a hint at the CMake option.
Backend& backend_for(Device device);
// Called once by each backend at static-initialisation time.
void register_backend(Device::Kind kind, Backend* backend);
bool has_backend(Device::Kind kind);
// True when a CUDA backend is built in and at least one GPU is present.
bool cuda_is_available();

// Waits for all work queued on a device (a no-op on the CPU) and raises any error a kernel
// recorded there (e.g. an out-of-range index found on the GPU).
void synchronize(Device device = Device::cpu());

// TF32 for float32 GEMMs on CUDA (cuBLAS tensor-op maths, ~1e-3 relative error): off by
// default, so CUDA results match the CPU's to float32 rounding, as PyTorch's
// torch.backends.cuda.matmul.allow_tf32 = False. Process-wide; the CPU ignores it.
void set_allow_tf32(bool allow);
bool allow_tf32();

// Memory statistics of a device (through its backend).
MemoryStats memory_stats(Device device = Device::cpu());
void reset_peak_memory(Device device = Device::cpu());
void empty_cache(Device device = Device::cpu());

}  // namespace aime
