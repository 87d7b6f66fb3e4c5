// Shapes, strides and dimension arguments, and the rules that combine them (NumPy
// broadcasting, negative dims). Shapes in comments use the paper's letters: [T, B, C, H, W].
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace aime {

using Shape = std::vector<std::int64_t>;

std::int64_t numel_of(const Shape& shape);
// Row-major strides, in elements: [2, 3, 4] -> [12, 4, 1].
Shape contiguous_strides(const Shape& shape);
// "[2, 3, 4]"; "[]" for a scalar.
std::string shape_str(const Shape& shape);

// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Maps dim in [-ndim, ndim) to [0, ndim); throws ValueError naming `op` otherwise.
std::int64_t normalize_dim(std::int64_t dim, std::int64_t ndim, const char* op);

// A contiguous shape seen as [outer, shape[dim], inner] around `dim` (index kernels).
void outer_inner(const Shape& shape, std::int64_t dim, std::int64_t& outer, std::int64_t& inner);

// A set of dimensions for reductions: `sum(x)` (all), `sum(x, 1)`, `sum(x, {0, 2})`.
struct Dims {
  std::vector<std::int64_t> dims;  // empty means "all dimensions"
  Dims() = default;
  Dims(int d) : dims{d} {}
  Dims(std::int64_t d) : dims{d} {}
  Dims(std::initializer_list<std::int64_t> d) : dims(d) {}
  Dims(std::vector<std::int64_t> d) : dims(std::move(d)) {}
  // Sorted, unique, non-negative; "all" expanded. Throws ValueError naming `op`.
  std::vector<std::int64_t> resolve(std::int64_t ndim, const char* op) const;
};

}  // namespace aime
