// Element types a Tensor can hold. float64 is what gradient checks run in; uint8 holds
// images and masks (comparisons return uint8 0/1), int64 holds indices.
#pragma once
#include <cstddef>
#include <cstdint>

namespace aime {

enum class DType : std::uint8_t { Float32, Float64, UInt8, Int64 };

constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
constexpr DType kUInt8 = DType::UInt8;
constexpr DType kInt64 = DType::Int64;

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "float32", "float64", "uint8", "int64"
inline bool is_floating(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

// The dtype of a binary op's result, following PyTorch's promotion order for the four
// types we have: float64 > float32 > int64 > uint8.
DType promote_types(DType a, DType b);

// The C++ type behind each dtype, for templates: dtype_of<float>() == kFloat32.
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }

}  // namespace aime

// Runs BODY with `scalar_t` bound to the C++ type of DTYPE. Backends use these to
// instantiate one kernel template per dtype; OPNAME goes into the error for a dtype the
// kernel does not support.
#define AIME_DISPATCH_CASE_(ENUM, TYPE, ...) \
  case ::aime::DType::ENUM: {                \
    using scalar_t = TYPE;                   \
    __VA_ARGS__();                           \
    break;                                   \
  }
#define AIME_DISPATCH_FLOATING(DTYPE, OPNAME, ...)                                 \
  switch (DTYPE) {                                                                 \
    AIME_DISPATCH_CASE_(Float32, float, __VA_ARGS__)                               \
    AIME_DISPATCH_CASE_(Float64, double, __VA_ARGS__)                              \
    default:                                                                       \
      throw ::aime::DTypeError(std::string(OPNAME) + ": expected a floating dtype " \
                               "(float32 or float64), got " + ::aime::dtype_name(DTYPE)); \
  }
#define AIME_DISPATCH_ALL(DTYPE, OPNAME, ...)              \
  switch (DTYPE) {                                         \
    AIME_DISPATCH_CASE_(Float32, float, __VA_ARGS__)       \
    AIME_DISPATCH_CASE_(Float64, double, __VA_ARGS__)      \
    AIME_DISPATCH_CASE_(UInt8, std::uint8_t, __VA_ARGS__)  \
    AIME_DISPATCH_CASE_(Int64, std::int64_t, __VA_ARGS__)  \
    default:                                               \
      throw ::aime::DTypeError(std::string(OPNAME) + ": unknown dtype"); \
  }
