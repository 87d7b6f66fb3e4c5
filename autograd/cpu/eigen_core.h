// Eigen/Core, included first by every .cpp that uses Eigen (the CPU kernels, nn/init.cpp,
// envs/experts.cpp, core_bench): a private header, Eigen stays out of every public one.
//
// Built for a CPU with AVX-512 (AIME_NATIVE), Eigen 3.4's packet maths and GEMM packing
// trip GCC 12's -Wmaybe-uninitialized inside avx512fintrin.h (the intrinsics' deliberately
// undefined pass-through operands): a false positive, reported where the templates are
// instantiated, in the including file. It is therefore silenced for the rest of that file
// (a file that needs more of Eigen, such as Dense, includes it after this header).
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
