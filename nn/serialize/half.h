// 16-bit floats as checkpoints store them (IEEE binary16 and bfloat16), widened to float32:
// shared by the safetensors and PyTorch readers.
#pragma once
#include <cstdint>
#include <cstring>

namespace aime::nn {

// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; subnormals, inf and NaN kept.
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: value = mant * 2^-24
      const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
      return sign ? -v : v;
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// bfloat16 is the upper half of a float32.
inline float bfloat16_to_float(std::uint16_t h) {
  const std::uint32_t wide = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}

}  // namespace aime::nn
