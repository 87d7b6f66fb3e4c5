#include "autograd/backend.h"

#include <array>
#include <atomic>

#include "autograd/storage.h"

namespace aime {
namespace cpu {
Backend& cpu_backend();  // autograd/cpu/cpu_backend.cpp: always built in
}
#if defined(AIME_WITH_CUDA)
namespace cuda {
Backend& cuda_backend();  // autograd/cuda/cuda_backend.cu: built with -DAIME_CUDA=ON/AUTO
}
#endif
namespace {
// Backends are named here rather than registered by static objects in their own files: the
// linker drops an object file of a static library that nothing references.
std::array<Backend*, 2>& registry() {
#if defined(AIME_WITH_CUDA)
  static std::array<Backend*, 2> backends{&cpu::cpu_backend(), &cuda::cuda_backend()};
#else
  static std::array<Backend*, 2> backends{&cpu::cpu_backend(), nullptr};
#endif
  return backends;
}
std::atomic<bool> g_allow_tf32{false};
}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32 = allow; }
bool allow_tf32() { return g_allow_tf32; }
void synchronize(Device device) { backend_for(device).synchronize(device.index); }

void register_backend(Device::Kind kind, Backend* backend) {
  registry()[static_cast<std::size_t>(kind)] = backend;
}

bool has_backend(Device::Kind kind) { return registry()[static_cast<std::size_t>(kind)] != nullptr; }

bool cuda_is_available() {
  return has_backend(Device::Kind::CUDA) && backend_for(Device::cuda()).device_count() > 0;
}

Backend& backend_for(Device device) {
  Backend* b = registry()[static_cast<std::size_t>(device.kind)];
  if (!b)
    throw DeviceError("no backend for device " + device.str() +
                      (device.is_cuda() ? ": this build has no CUDA backend (configure with -DAIME_CUDA=ON)"
                                        : ""));
  return *b;
}

MemoryStats memory_stats(Device device) { return backend_for(device).memory_stats(device.index); }
void reset_peak_memory(Device device) { backend_for(device).reset_peak_memory(device.index); }
void empty_cache(Device device) { backend_for(device).empty_cache(device.index); }

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  data_ = backend_for(device).allocate(nbytes, device.index);
}

Storage::~Storage() { backend_for(device_).deallocate(data_, nbytes_, device_.index); }

}  // namespace aime
