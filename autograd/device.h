// Where a tensor's memory lives. Ops dispatch on this to a Backend (backend.h); nothing
// else in aime branches on the device kind.
#pragma once
#include <string>

#include "autograd/error.h"

namespace aime {

struct Device {
  enum class Kind : unsigned char { CPU = 0, CUDA = 1 };
  Kind kind = Kind::CPU;
  int index = 0;

  static Device cpu() { return Device{Kind::CPU, 0}; }
  static Device cuda(int index = 0) { return Device{Kind::CUDA, index}; }
  bool is_cpu() const { return kind == Kind::CPU; }
  bool is_cuda() const { return kind == Kind::CUDA; }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  // "cpu", "cuda" (= cuda:0) or "cuda:N", as str() writes them; ValueError otherwise.
  static Device parse(const std::string& s) {
    if (s == "cpu") return cpu();
    if (s == "cuda") return cuda(0);
    if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.find_first_not_of("0123456789", 5) == std::string::npos &&
        s.size() < 9)
      return cuda(std::stoi(s.substr(5)));
    throw ValueError("device: expected cpu, cuda or cuda:N, got '" + s + "'");
  }
};

}  // namespace aime
