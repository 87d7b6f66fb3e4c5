// Products over few rows with a weight packed once: a recurrence multiplies the same weight
// by B = 50 rows at each of T = 50 steps, and a GEMM library packs the whole weight (3 MB for
// the GRU's 1536 x 512) on every call for 50 rows of work. Here the weight is packed once per
// sequence (autograd/weight_pack.h decides when) and each step's product streams it.
// benchmarks/README.md, lever 29, has the measurements. Internal to the CPU backend.
//
// Maths: C[m, n] = A[m, k] op(B)[k, n] + beta C, row-major, with op(B) held as panels of
// kPanelColumns columns: panel p stores op(B)[kk, 16 p + j] at data[(p k + kk) 16 + j],
// zeros past n. One register tile covers up to 6 rows x 16 columns (12 AVX2 accumulators)
// and runs over all of k, so each output is one sum over kk in order, by fused multiply-adds.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

namespace aime::cpu {

constexpr std::int64_t kPanelColumns = 16;

struct PackedPanels {
  std::int64_t k = 0, n = 0;
  std::vector<float> data;  // ceil(n / 16) panels of k x 16 values
};

// Whether this build has the kernel (x86-64 with AVX2 and FMA, compiled for them).
bool packed_gemm_available();
// The switch behind aime::cpu_packed_weights() (autograd/cpu_gemm_choice.h).
extern std::atomic<bool> packed_weights_on;

// Packs op(B) [k, n]: B is stored [n, k] when tb (a linear layer's W for y = x W^T), else [k, n]
// (W for dx = dy W).
PackedPanels pack_panels(const float* b, bool tb, std::int64_t k, std::int64_t n);

// c [m, n] = a [m, k] op(B) + beta c (leading dimensions k and n); threads over panels when
// the product is large enough. Counted in cpu_gemm_multiply_adds().
void gemm_panels(const float* a, std::int64_t m, const PackedPanels& b, float* c, double beta);

}  // namespace aime::cpu
