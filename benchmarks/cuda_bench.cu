// cuda_bench: the CUDA backend against the hardware's own yardsticks, on the same sizes.
//   - matmul: aime's matmul() (allocation, dispatch, autograd bookkeeping, then cuBLAS)
//     against a bare cublasSgemm call on preallocated buffers: the framework's overhead;
//   - conv2d: aime's conv2d() (im2col + strided-batched GEMM) against one bare cuBLAS GEMM
//     of the same FLOPs ([O, C*kh*kw] x [C*kh*kw, N*Ho*Wo]): the price of im2col;
//   - elementwise: aime's add() (reads 2n, writes n floats) against cudaMemcpy
//     device-to-device (reads n, writes n), both as GB/s: how close to copy bandwidth the
//     kernel runs.
// Prints a Markdown table. Without a GPU it says so and exits 0.
//   build/benchmarks/cuda_bench [--iters N]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "autograd/api.h"

using namespace aime;

namespace {

#define CHECK(call)                                                                      \
  do {                                                                                   \
    cudaError_t e = (call);                                                              \
    if (e != cudaSuccess) {                                                              \
      std::fprintf(stderr, "%s failed: %s\n", #call, cudaGetErrorString(e));             \
      std::exit(1);                                                                      \
    }                                                                                    \
  } while (0)

int g_iters = 50;

// Median-free but warm: one untimed call, then the mean of g_iters calls.
double time_s(const std::function<void()>& fn, const std::function<void()>& sync) {
  fn();
  sync();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < g_iters; ++i) fn();
  sync();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / g_iters;
}

void aime_sync() { synchronize(Device::cuda()); }
void device_sync() { CHECK(cudaDeviceSynchronize()); }

// C [m, n] = A [m, k] B [k, n], row-major, through a bare cuBLAS handle.
double bare_gemm_s(cublasHandle_t h, std::int64_t m, std::int64_t n, std::int64_t k) {
  float *a, *b, *c;
  CHECK(cudaMalloc(&a, sizeof(float) * m * k));
  CHECK(cudaMalloc(&b, sizeof(float) * k * n));
  CHECK(cudaMalloc(&c, sizeof(float) * m * n));
  CHECK(cudaMemset(a, 0, sizeof(float) * m * k));
  CHECK(cudaMemset(b, 0, sizeof(float) * k * n));
  const float one = 1.0f, zero = 0.0f;
  const double s = time_s(
      [&] {
        cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one,
                    b, static_cast<int>(n), a, static_cast<int>(k), &zero, c, static_cast<int>(n));
      },
      device_sync);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--iters") == 0) g_iters = std::atoi(argv[i + 1]);
  if (!cuda_is_available()) {
    std::printf("cuda_bench: no GPU on this machine (or no CUDA backend in this build): nothing to measure\n");
    return 0;
  }
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s (sm_%d%d), %d iterations per case, float32, TF32 %s\n\n", prop.name, prop.major,
              prop.minor, g_iters, allow_tf32() ? "on" : "off");
  const Device gpu = Device::cuda();
  Generator gen(0);
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "cublasCreate failed\n");
    return 1;
  }

  std::printf("| case | sizes | aime | bare cuBLAS / copy | aime / bare | aime throughput |\n|---|---|---|---|---|---|\n");
  struct Mm { const char* name; std::int64_t m, k, n; };
  for (const Mm& c : {Mm{"matmul (GRU at batch 50)", 50, 512, 1536}, Mm{"matmul (batch x time, 2500 rows)", 2500, 512, 1536},
                      Mm{"matmul 4096^3", 4096, 4096, 4096}}) {
    const Tensor a = randn({c.m, c.k}, gen).to(gpu), b = randn({c.k, c.n}, gen).to(gpu);
    const double ours = time_s([&] { matmul(a, b); }, aime_sync);
    const double bare = bare_gemm_s(h, c.m, c.n, c.k);
    const double flops = 2.0 * c.m * c.n * c.k;
    std::printf("| %s | [%lld, %lld] x [%lld, %lld] | %.1f us | %.1f us | %.2f | %.1f TFLOP/s |\n", c.name,
                (long long)c.m, (long long)c.k, (long long)c.k, (long long)c.n, ours * 1e6, bare * 1e6, ours / bare,
                flops / ours / 1e12);
  }
  struct Cv { const char* name; Shape x, w; std::int64_t stride; };
  for (const Cv& c : {Cv{"conv2d (cnn_ha layer 1, B*T = 2500)", {2500, 3, 64, 64}, {32, 3, 4, 4}, 2},
                      Cv{"conv2d (cnn_ha layer 2, B*T = 2500)", {2500, 32, 31, 31}, {64, 32, 4, 4}, 2},
                      Cv{"conv2d (cnn_ha layer 4, B*T = 2500)", {2500, 128, 6, 6}, {256, 128, 4, 4}, 2}}) {
    const Tensor x = randn(c.x, gen).to(gpu), w = randn(c.w, gen).to(gpu);
    const Tensor y = conv2d(x, w, Tensor(), c.stride);
    const std::int64_t ck = c.w[1] * c.w[2] * c.w[3], cols = y.numel() / c.w[0];
    const double ours = time_s([&] { conv2d(x, w, Tensor(), c.stride); }, aime_sync);
    const double bare = bare_gemm_s(h, c.w[0], cols, ck);
    const double flops = 2.0 * c.w[0] * cols * ck;
    std::printf("| %s | %s * %s | %.1f us | %.1f us | %.2f | %.1f TFLOP/s |\n", c.name, shape_str(c.x).c_str(),
                shape_str(c.w).c_str(), ours * 1e6, bare * 1e6, ours / bare, flops / ours / 1e12);
  }
  for (std::int64_t n : {std::int64_t{1} << 20, std::int64_t{1} << 26}) {
    const Tensor a = randn({n}, gen).to(gpu), b = randn({n}, gen).to(gpu);
    const double ours = time_s([&] { add(a, b); }, aime_sync);
    float *src, *dst;
    CHECK(cudaMalloc(&src, sizeof(float) * n));
    CHECK(cudaMalloc(&dst, sizeof(float) * n));
    const double copy = time_s([&] { CHECK(cudaMemcpyAsync(dst, src, sizeof(float) * n, cudaMemcpyDeviceToDevice)); },
                               device_sync);
    cudaFree(src);
    cudaFree(dst);
    const double ours_gbs = 3.0 * 4 * n / ours / 1e9, copy_gbs = 2.0 * 4 * n / copy / 1e9;
    std::printf("| add (bandwidth) | 2^%d floats | %.1f us (%.0f GB/s) | %.1f us (%.0f GB/s) | %.2f of copy's GB/s | %.0f GB/s |\n",
                n == (std::int64_t{1} << 20) ? 20 : 26, ours * 1e6, ours_gbs, copy * 1e6, copy_gbs, ours_gbs / copy_gbs,
                ours_gbs);
  }
  const MemoryStats m = memory_stats(gpu);
  std::printf("\nmemory: peak %.1f MiB, reserved %.1f MiB, %lld cudaMalloc calls\n", m.peak_bytes / 1048576.0,
              m.reserved_bytes / 1048576.0, (long long)m.num_allocs);
  cublasDestroy(h);
  return 0;
}
