// Tensor factories: constants, ranges, copies of host data, and seeded random draws.
// None is recorded by autograd (call requires_grad_() on the result to make a leaf).
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/generator.h"
#include "autograd/tensor.h"

namespace aime {

Tensor empty(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Tensor zeros(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Tensor ones(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Tensor full(const Shape& shape, double value, DType dtype = kFloat32, Device device = Device::cpu());
// A 0-dimensional tensor holding `value`.
Tensor scalar_tensor(double value, DType dtype = kFloat32, Device device = Device::cpu());
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, double value);

// [start, start + step, ...) up to but excluding `end`, like torch.arange.
Tensor arange(double start, double end, double step = 1.0, DType dtype = kFloat32,
              Device device = Device::cpu());
Tensor arange(std::int64_t end, DType dtype = kInt64, Device device = Device::cpu());

// Copies host values into a new tensor of `shape` (1-D of values.size() when empty).
// Throws ShapeError when the shape does not hold exactly values.size() elements.
Tensor tensor(const std::vector<double>& values, const Shape& shape = {}, DType dtype = kFloat32,
              Device device = Device::cpu());
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape = {}, Device device = Device::cpu());

// Standard normal and uniform [0, 1) draws from `gen` (default_generator() without one).
Tensor randn(const Shape& shape, Generator& gen, DType dtype = kFloat32, Device device = Device::cpu());
Tensor rand(const Shape& shape, Generator& gen, DType dtype = kFloat32, Device device = Device::cpu());
Tensor randn(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Tensor rand(const Shape& shape, DType dtype = kFloat32, Device device = Device::cpu());
Tensor randn_like(const Tensor& x, Generator& gen);
Tensor rand_like(const Tensor& x, Generator& gen);

}  // namespace aime
