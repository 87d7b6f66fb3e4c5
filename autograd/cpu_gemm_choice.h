// Which library multiplies matrices on the CPU: Eigen (always built, the fallback) or an
// optimised BLAS through its CBLAS interface (OpenBLAS, BLIS, MKL: CMake's AIME_BLAS, found
// by FindBLAS). Every product of the CPU backend (matmul, linear layers, the convolutions'
// im2col GEMMs, forward and backward) goes through the one chosen here.
//
// The choice is process-wide: the environment variable AIME_CPU_GEMM=eigen|blas|auto at
// start-up, else the build's default (CMake's AIME_CPU_GEMM_DEFAULT, auto unless set). auto is
// the CBLAS where the build has one, except an OpenBLAS running kernels older than AVX2 (its
// fallback on CPUs it does not know), where Eigen is 3-4x faster. The measurements behind it
// are in benchmarks/README.md (`gemm_bench`, lever 25).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace aime {

// "eigen", then "blas" in a build with a CBLAS.
std::vector<std::string> available_cpu_gemms();
// The library in use, e.g. "eigen" or "blas (OpenBLAS 0.3.21, openmp)".
std::string cpu_gemm_name();
// True when products go through the CBLAS.
bool cpu_gemm_is_blas();
// Selects "eigen", "blas" or "auto"; throws ValueError naming the choices this build has.
void set_cpu_gemm(const std::string& name);
// Whether OpenBLAS's kernel set of this name (openblas_get_corename(): "Haswell", "Zen",
// "Prescott", ...) uses AVX2 or AVX-512: what auto asks of an OpenBLAS.
bool openblas_core_has_avx2(const std::string& core);

// Whether the CPU packs a recurrence's float32 weights once per sequence for its few-row
// products (autograd/weight_pack.h, autograd/cpu/cpu_packed_gemm.h). On by default where the
// build has the kernel (x86-64 with AVX2 and FMA); AIME_PACKED_WEIGHTS=0 in the environment
// turns it off, and so does set_cpu_packed_weights(false) (benchmarks compare both ways).
bool cpu_packed_weights();
void set_cpu_packed_weights(bool enabled);

// Multiply-adds of every CPU product since the process started (m n k per matrix, whichever
// library ran it, and those of the direct convolutions, autograd/cpu/cpu_conv_direct.h): benchmarks divide its growth over a step by the step's time to get the
// step's arithmetic rate.
std::int64_t cpu_gemm_multiply_adds();

}  // namespace aime
