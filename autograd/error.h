// aime's exception types. Every message says what was expected and what was found,
// and names the op or file involved: "matmul: inner dimensions differ, got [2, 3] and [4, 5]".
#pragma once
#include <stdexcept>
#include <string>

namespace aime {

// Base of every error aime throws on bad input.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};
// Shapes that do not fit an op (broadcasting, matmul inner dims, conv channels, ...).
class ShapeError : public Error { using Error::Error; };
// A dtype an op does not accept (exp of an int64 tensor, indices that are not int64, ...).
class DTypeError : public Error { using Error::Error; };
// An argument out of its valid range (negative size, dim out of range, index out of bounds).
class ValueError : public Error { using Error::Error; };
// Misuse of the autograd engine (backward twice through a freed graph, non-scalar root).
class AutogradError : public Error { using Error::Error; };
// Tensors on different devices, or a backend that is not built in.
class DeviceError : public Error { using Error::Error; };

}  // namespace aime
