// CUDA GEMM through cuBLAS (strided-batched, one call per product).
//
// cuBLAS is column-major and our tensors are row-major. A row-major [m, n] matrix is the
// column-major [n, m] matrix of its transpose, so C = op(A) op(B) is computed as
//   C^T = op(B)^T op(A)^T,
// i.e. cuBLAS is called with the operands swapped (B first), m and n swapped, and each
// leading dimension the row length of the stored matrix. A batch of 1 broadcasts through
// a batch stride of 0.
//
// TF32: off by default, so float32 products match the CPU to ~1e-6 relative; with
// set_allow_tf32(true) cuBLAS may use TF32 tensor cores (10-bit mantissa inputs, about
// 1e-3 relative error, several times the throughput), as torch.backends.cuda.matmul does.
#include "autograd/cuda/cublas_loader.h"
#include "autograd/cuda/cuda_backend.h"
#include "autograd/cuda/cuda_launch.cuh"
#include "autograd/ops/creation.h"

namespace aime::cuda {

void CudaBackend::gemm(bool ta, bool tb, const Tensor& a, const Tensor& b, const Tensor& c, double beta) {
  const std::int64_t batch = c.shape()[0], m = c.shape()[1], n = c.shape()[2];
  const std::int64_t k = ta ? a.shape()[1] : a.shape()[2];
  if (batch == 0 || m == 0 || n == 0) return;
  Context& ctx = context(c);
  if (k == 0) {  // an empty sum: C = beta C
    if (beta == 0.0) fill(c, 0.0);
    else if (beta != 1.0) binary(BinaryOp::Mul, c, full({}, beta, c.dtype(), c.device()).expand(c.shape()), c);
    return;
  }
  const long long stride_a = a.shape()[0] == 1 ? 0 : a.shape()[1] * a.shape()[2];
  const long long stride_b = b.shape()[0] == 1 ? 0 : b.shape()[1] * b.shape()[2];
  const long long stride_c = m * n;
  // Leading dimension: the row length of each stored row-major matrix.
  const int lda = static_cast<int>(a.shape()[2]), ldb = static_cast<int>(b.shape()[2]), ldc = static_cast<int>(n);
  const cublasOperation_t op_a = ta ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  AIME_CUBLAS_CHECK("gemm", cublas().set_math_mode(ctx.cublas, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH
                                                                        : CUBLAS_DEFAULT_MATH));
  if (c.dtype() == kFloat32) {
    const float alpha = 1.0f, bf = static_cast<float>(beta);
    AIME_CUBLAS_CHECK("gemm", cublas().sgemm_strided_batched(
                                  ctx.cublas, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k),
                                  &alpha, static_cast<const float*>(b.data_ptr()), ldb, stride_b,
                                  static_cast<const float*>(a.data_ptr()), lda, stride_a, &bf,
                                  static_cast<float*>(c.data_ptr()), ldc, stride_c, static_cast<int>(batch)));
  } else if (c.dtype() == kFloat64) {
    const double alpha = 1.0;
    AIME_CUBLAS_CHECK("gemm", cublas().dgemm_strided_batched(
                                  ctx.cublas, op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k),
                                  &alpha, static_cast<const double*>(b.data_ptr()), ldb, stride_b,
                                  static_cast<const double*>(a.data_ptr()), lda, stride_a, &beta,
                                  static_cast<double*>(c.data_ptr()), ldc, stride_c, static_cast<int>(batch)));
  } else {
    throw DTypeError(std::string("cuda gemm: expected a floating dtype (float32 or float64), got ") +
                     dtype_name(c.dtype()));
  }
}

}  // namespace aime::cuda
