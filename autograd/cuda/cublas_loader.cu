// Loads cuBLAS with dlopen: see cublas_loader.h.
#include <dlfcn.h>

#include <mutex>
#include <string>

#include "autograd/cuda/cublas_loader.h"
#include "autograd/error.h"

#ifndef AIME_CUBLAS_SONAME
#define AIME_CUBLAS_SONAME "libcublas.so"
#endif

namespace aime::cuda {

namespace {
template <class F>
void resolve(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) throw DeviceError(std::string("cuda: cuBLAS (" AIME_CUBLAS_SONAME ") lacks the symbol ") + name);
}

CublasApi load() {
  void* lib = dlopen(AIME_CUBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!lib) lib = dlopen("libcublas.so", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    throw DeviceError(std::string("cuda: cannot load cuBLAS (" AIME_CUBLAS_SONAME "): ") + (why ? why : "unknown") +
                      "; install the CUDA Toolkit's cuBLAS or add its lib64 folder to LD_LIBRARY_PATH");
  }
  CublasApi api{};
  resolve(lib, "cublasCreate_v2", api.create);
  resolve(lib, "cublasSetStream_v2", api.set_stream);
  resolve(lib, "cublasSetMathMode", api.set_math_mode);
  resolve(lib, "cublasSgemmStridedBatched", api.sgemm_strided_batched);
  resolve(lib, "cublasDgemmStridedBatched", api.dgemm_strided_batched);
  return api;  // the library stays loaded for the life of the process
}
}  // namespace

const CublasApi& cublas() {
  static std::once_flag once;
  static CublasApi api;
  std::call_once(once, [] { api = load(); });
  return api;
}

}  // namespace aime::cuda
