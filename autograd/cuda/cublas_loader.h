// cuBLAS, loaded on first use with dlopen. Linking it would make every aime program (and
// every one of the ~650 test processes) map libcublasLt, half a gigabyte, at start-up
// (~0.3 s each, GPU or not); loading it when the first GPU context is created costs that
// once, and only where a GPU is used. Internal to autograd/cuda/.
#pragma once
#include <cublas_v2.h>

namespace aime::cuda {

// The cuBLAS entry points the backend calls (the _v2 names are what cublas_v2.h's macros
// expand to and what the library exports).
struct CublasApi {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSgemmStridedBatched) sgemm_strided_batched;
  decltype(&cublasDgemmStridedBatched) dgemm_strided_batched;
};

// Loads the library (AIME_CUBLAS_SONAME, e.g. libcublas.so.13, then libcublas.so) and its
// symbols once; throws DeviceError naming the library and dlerror() if that fails.
const CublasApi& cublas();

}  // namespace aime::cuda
