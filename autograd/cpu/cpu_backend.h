// The CPU backend: Eigen or a CBLAS for GEMM (and so for conv through im2col; see
// autograd/cpu_gemm_choice.h), OpenMP loops for everything else. Internal to autograd/cpu/; ops reach it through backend_for().
#pragma once
#include "autograd/backend.h"
#include "autograd/cpu/cpu_allocator.h"

namespace aime::cpu {

// One row-major product C[m, n] = op(A) op(B) + beta C through the chosen library
// (cpu_gemm.cpp), counted in cpu_gemm_multiply_adds(). Inside a parallel region it runs on
// the calling thread; outside, the library may thread it.
void gemm_matrix(bool ta, bool tb, const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                 std::int64_t k, double beta);
void gemm_matrix(bool ta, bool tb, const double* a, const double* b, double* c, std::int64_t m, std::int64_t n,
                 std::int64_t k, double beta);

// Multiply-adds below which one product runs on the calling thread alone (cpu_gemm.cpp and the
// packed kernel, cpu_packed_gemm.cpp; measured in benchmarks/README.md, "OpenMP threshold for GEMM").
constexpr std::int64_t kMinThreadedGemm = std::int64_t{1} << 21;

// Adds to cpu_gemm_multiply_adds() the multiply-adds of work done outside gemm_matrix (the
// direct convolutions).
void count_multiply_adds(std::int64_t count);

// Convolutions whose images have at most this many output positions run batched over images
// (cpu_conv.cpp; default 64); 0 runs every layer per image. For tests of both paths.
void set_conv_batched_max_positions(std::int64_t positions);
// Whether layers the direct kernels take (autograd/cpu/cpu_conv_direct.h) run them (default
// true); tests turn it off to compare with im2col + GEMM.
void set_conv_direct(bool enabled);
// Whether the batched path's im2col and col2im go through gather tables (cpu_conv.cpp;
// default true); tests and conv_bench turn it off to compare with the row loops.
void set_conv_gather_tables(bool enabled);
// The most columns (images x positions) one chunk of the batched path holds (default 1,024;
// each chunk also within 8 MB). conv_bench sets it to compare.
void set_conv_batched_chunk_columns(std::int64_t columns);

class CpuBackend final : public Backend {
 public:
  ~CpuBackend() override { empty_cache(0); }
  const char* name() const override { return "cpu"; }
  int device_count() const override { return 1; }

  void* allocate(std::size_t nbytes, int device_index) override;
  void deallocate(void* ptr, std::size_t nbytes, int device_index) override;
  MemoryStats memory_stats(int device_index) const override;
  void reset_peak_memory(int device_index) override;
  void copy_to_host(void* dst, const void* src, std::size_t nbytes, int device_index) override;
  void copy_from_host(void* dst, const void* src, std::size_t nbytes, int device_index) override;
  void synchronize(int) override {}

  void fill(const Tensor& out, double value) override;
  void arange(const Tensor& out, double start, double step) override;
  void copy(const Tensor& src, const Tensor& dst) override;
  void unary(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y) override;
  void unary_backward(UnaryOp op, const UnaryParams& p, const Tensor& x, const Tensor& y, const Tensor& gy,
                      const Tensor& gx) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void reduce_rows(ReduceOp op, const Tensor& x, const Tensor& out, const Tensor& indices) override;
  void gemm(bool trans_a, bool trans_b, const Tensor& a, const Tensor& b, const Tensor& c, double beta) override;
  std::shared_ptr<const PackedWeight> pack_weight(const Tensor& w, bool transposed) override;
  void gemm_packed(const Tensor& a, const PackedWeight& w, const Tensor& c, double beta) override;
  void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) override;
  void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dParams& p, const Tensor& gx) override;
  void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p, const Tensor& gw) override;
  void conv2d_forward_and_backward_weight(const Tensor& x, const Tensor& w, const Tensor& gy, const Conv2dParams& p,
                                          const Tensor& y, const Tensor& gw) override;
  void index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) override;
  void index_add(const Tensor& dst, std::int64_t dim, const Tensor& index, const Tensor& src) override;
  void one_hot(const Tensor& index, const Tensor& out) override;

  void adam_step(const AdamStepParams& p, const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq) override;
  void empty_cache(int device_index) override;

 private:
  CpuAllocator& allocator_ = *new CpuAllocator;  // never destroyed: see cpu_allocator.h
};

}  // namespace aime::cpu
