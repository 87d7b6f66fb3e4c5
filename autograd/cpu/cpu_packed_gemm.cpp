#include "autograd/cpu/cpu_packed_gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "autograd/cpu/cpu_backend.h"
#include "autograd/cpu_gemm_choice.h"
#include "autograd/error.h"
#include "autograd/parallel.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define AIME_PACKED_GEMM 1
#endif

namespace aime::cpu {

bool packed_gemm_available() {
#ifdef AIME_PACKED_GEMM
  return true;
#else
  return false;
#endif
}

PackedPanels pack_panels(const float* b, bool tb, std::int64_t k, std::int64_t n) {
  PackedPanels out;
  out.k = k;
  out.n = n;
  const std::int64_t panels = (n + kPanelColumns - 1) / kPanelColumns;
  out.data.assign(static_cast<std::size_t>(panels * k * kPanelColumns), 0.0f);
  parallel_for(0, panels, std::max<std::int64_t>(1, kGrainSize / std::max<std::int64_t>(k * kPanelColumns, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t p = lo; p < hi; ++p) {
                   const std::int64_t j0 = p * kPanelColumns, cols = std::min(kPanelColumns, n - j0);
                   float* panel = out.data.data() + p * k * kPanelColumns;
                   if (tb) {  // B [n, k]: op(B)[kk, j] = B[j, kk], read a row of B per column
                     for (std::int64_t j = 0; j < cols; ++j) {
                       const float* row = b + (j0 + j) * k;
                       for (std::int64_t kk = 0; kk < k; ++kk) panel[kk * kPanelColumns + j] = row[kk];
                     }
                   } else {  // B [k, n]: a panel row is 16 consecutive values of a row of B
                     for (std::int64_t kk = 0; kk < k; ++kk)
                       std::copy(b + kk * n + j0, b + kk * n + j0 + cols, panel + kk * kPanelColumns);
                   }
                 }
               });
  return out;
}

#ifdef AIME_PACKED_GEMM
namespace {
// One tile: rows [0, MR) of a (leading dimension lda) times one panel (k x 16), into c's
// `cols` columns (16 except in the last panel). cR0 and cR1 hold c[R, 0..7] and c[R, 8..15].
// Named registers, not an array: GCC kept an array of accumulators in registers but also
// stored it to the stack at every kk, which halved the rate (12 stores per 12 FMAs).
template <int MR>
void tile(const float* a, std::int64_t lda, const float* panel, std::int64_t k, float* c, std::int64_t ldc,
          std::int64_t cols, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (std::int64_t kk = 0; kk < k; ++kk) {
    const __m256 b0 = _mm256_loadu_ps(panel + kk * kPanelColumns);
    const __m256 b1 = _mm256_loadu_ps(panel + kk * kPanelColumns + 8);
#define AIME_TILE_ROW(R)                                          \
  if constexpr (MR > R) {                                         \
    const __m256 ar = _mm256_broadcast_ss(a + R * lda + kk);      \
    c##R##0 = _mm256_fmadd_ps(ar, b0, c##R##0);                   \
    c##R##1 = _mm256_fmadd_ps(ar, b1, c##R##1);                   \
  }
    AIME_TILE_ROW(0) AIME_TILE_ROW(1) AIME_TILE_ROW(2) AIME_TILE_ROW(3) AIME_TILE_ROW(4) AIME_TILE_ROW(5)
#undef AIME_TILE_ROW
  }
  alignas(32) float out[6][kPanelColumns];
  const __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; ++r) {
    _mm256_store_ps(out[r], acc[r][0]);
    _mm256_store_ps(out[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    if (beta == 0.0f) {
      for (std::int64_t j = 0; j < cols; ++j) row[j] = out[r][j];
    } else {
      for (std::int64_t j = 0; j < cols; ++j) row[j] = beta * row[j] + out[r][j];
    }
  }
}

using TileFn = void (*)(const float*, std::int64_t, const float*, std::int64_t, float*, std::int64_t, std::int64_t,
                        float);
constexpr TileFn kTiles[] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};
constexpr std::int64_t kMaxTileRows = 6;
}  // namespace
#endif

void gemm_panels(const float* a, std::int64_t m, const PackedPanels& b, float* c, double beta) {
#ifdef AIME_PACKED_GEMM
  const std::int64_t k = b.k, n = b.n, panels = (n + kPanelColumns - 1) / kPanelColumns;
  count_multiply_adds(m * n * k);
  if (m == 0 || n == 0) return;
  // Rows split into tiles of nearly equal height (50 rows: 6,6,6,6,6,5,5,5,5), so no tile
  // is a thin remainder.
  const std::int64_t tiles = (m + kMaxTileRows - 1) / kMaxTileRows;
  const float fbeta = static_cast<float>(beta);
  auto run = [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t p = lo; p < hi; ++p) {
      const std::int64_t j0 = p * kPanelColumns, cols = std::min(kPanelColumns, n - j0);
      const float* panel = b.data.data() + p * k * kPanelColumns;
      std::int64_t r0 = 0;
      for (std::int64_t t = 0; t < tiles; ++t) {
        const std::int64_t rows = m / tiles + (t < m % tiles ? 1 : 0);
        kTiles[rows](a + r0 * k, k, panel, k, c + r0 * n + j0, n, cols, fbeta);
        r0 += rows;
      }
    }
  };
  // Each thread streams its own panels; a's rows (50 x k) stay in its L2.
  if (m * n * k < kMinThreadedGemm) {
    run(0, panels);
  } else {  // chunks of at least half that work each
    parallel_for(0, panels, std::max<std::int64_t>(1, (kMinThreadedGemm / 2) / (m * k * kPanelColumns)), run);
  }
#else
  (void)a, (void)m, (void)b, (void)c, (void)beta;
  throw Error("gemm_panels: this build has no packed kernel (it needs AVX2 and FMA)");
#endif
}

namespace {
// On by default where the kernel is built; AIME_PACKED_WEIGHTS=0 in the environment turns it off.
bool packing_by_default() {
  const char* env = std::getenv("AIME_PACKED_WEIGHTS");
  return packed_gemm_available() && !(env && std::strcmp(env, "0") == 0);
}
}  // namespace

std::atomic<bool> packed_weights_on{packing_by_default()};

namespace {
struct CpuPackedWeight final : Backend::PackedWeight {
  PackedPanels panels;
};
}  // namespace

std::shared_ptr<const Backend::PackedWeight> CpuBackend::pack_weight(const Tensor& w, bool transposed) {
  if (!cpu_packed_weights() || w.dtype() != DType::Float32 || w.dim() != 2 || !w.is_contiguous()) return nullptr;
  auto out = std::make_shared<CpuPackedWeight>();
  const std::int64_t k = transposed ? w.shape()[1] : w.shape()[0], n = transposed ? w.shape()[0] : w.shape()[1];
  out->panels = pack_panels(w.data<float>(), transposed, k, n);
  return out;
}

void CpuBackend::gemm_packed(const Tensor& a, const PackedWeight& w, const Tensor& c, double beta) {
  const auto* packed = dynamic_cast<const CpuPackedWeight*>(&w);
  if (!packed) throw DeviceError("gemm_packed: the weight was not packed by the CPU backend");
  const PackedPanels& p = packed->panels;
  if (a.dtype() != DType::Float32 || c.dtype() != DType::Float32 || a.dim() != 2 || c.dim() != 2 ||
      a.shape()[1] != p.k || c.shape()[0] != a.shape()[0] || c.shape()[1] != p.n)
    throw ShapeError("gemm_packed: expected float32 a [m, " + std::to_string(p.k) + "] and c [m, " +
                     std::to_string(p.n) + "], got " + shape_str(a.shape()) + " and " + shape_str(c.shape()));
  gemm_panels(a.data<float>(), a.shape()[0], p, c.data<float>(), beta);
}

}  // namespace aime::cpu

namespace aime {
void set_cpu_packed_weights(bool enabled) {
  cpu::packed_weights_on.store(enabled && cpu::packed_gemm_available(), std::memory_order_relaxed);
}
bool cpu_packed_weights() { return cpu::packed_weights_on.load(std::memory_order_relaxed); }
}  // namespace aime
