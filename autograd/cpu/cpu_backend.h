// The CPU backend: Eigen for GEMM (and so for conv through im2col), OpenMP loops for
// everything else. Internal to autograd/cpu/; ops reach it through backend_for().
#pragma once
#include "autograd/backend.h"
#include "autograd/cpu/cpu_allocator.h"

namespace aime::cpu {

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
  void conv2d_forward(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& y) override;
  void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Conv2dParams& p, const Tensor& gx) override;
  void conv2d_backward_weight(const Tensor& gy, const Tensor& x, const Conv2dParams& p, const Tensor& gw) override;
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
