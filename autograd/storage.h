// A block of memory on one device, shared by a tensor and all its views. Allocation goes
// through the device's Backend, which keeps the statistics (allocated, peak, count).
#pragma once
#include <cstddef>
#include <memory>

#include "autograd/device.h"

namespace aime {

class Storage {
 public:
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  Device device_;
};

}  // namespace aime
