#include "autograd/ops/creation.h"

#include <cmath>

#include "autograd/backend.h"
#include "autograd/parallel.h"

namespace aime {

Tensor empty(const Shape& shape, DType dtype, Device device) { return Tensor::empty(shape, dtype, device); }

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  backend_for(device).fill(t, value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor scalar_tensor(double value, DType dtype, Device device) { return full({}, value, dtype, device); }
Tensor zeros_like(const Tensor& x) { return zeros(x.shape(), x.dtype(), x.device()); }
Tensor ones_like(const Tensor& x) { return ones(x.shape(), x.dtype(), x.device()); }
Tensor full_like(const Tensor& x, double value) { return full(x.shape(), value, x.dtype(), x.device()); }

Tensor arange(double start, double end, double step, DType dtype, Device device) {
  if (step == 0.0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
    throw ValueError("arange: step must be nonzero and bounds finite, got start=" + std::to_string(start) +
                     " end=" + std::to_string(end) + " step=" + std::to_string(step));
  const double count = std::ceil((end - start) / step);
  Tensor t = Tensor::empty({count > 0 ? static_cast<std::int64_t>(count) : 0}, dtype, device);
  backend_for(device).arange(t, start, step);
  return t;
}
Tensor arange(std::int64_t end, DType dtype, Device device) {
  return arange(0.0, static_cast<double>(end), 1.0, dtype, device);
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  const Shape s = shape.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape;
  if (numel_of(s) != static_cast<std::int64_t>(values.size()))
    throw ShapeError("tensor: shape " + shape_str(s) + " holds " + std::to_string(numel_of(s)) + " elements, got " +
                     std::to_string(values.size()) + " values");
  Tensor host = Tensor::empty(s, dtype_of<T>(), Device::cpu());
  std::copy(values.begin(), values.end(), host.data<T>());
  return host.to(device);
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor from_vector<std::uint8_t>(const std::vector<std::uint8_t>&, const Shape&, Device);
template Tensor from_vector<std::int64_t>(const std::vector<std::int64_t>&, const Shape&, Device);

Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype, Device device) {
  Tensor t = from_vector(values, shape, Device::cpu());
  if (dtype != kFloat64) {
    Tensor cast = Tensor::empty(t.shape(), dtype, Device::cpu());
    backend_for(Device::cpu()).copy(t, cast);
    t = cast;
  }
  return t.to(device);
}

namespace {
enum class Draw { Normal, Uniform };

// Element i comes from Philox block (offset + i / 4), word i % 4. Normals use Box-Muller on
// word pairs (0, 1) and (2, 3). Drawn on the host, then copied: every device gets the same
// numbers for a seed.
// A draw of n elements that are elements [skip, skip + n) of a draw of `whole` (a sharded
// generator's rows; skip = 0 and whole = n otherwise): element i is word (skip + i) % 4 of
// block first + (skip + i) / 4, as in the whole draw.
template <class T>
void draw(T* out, std::int64_t n, std::int64_t skip, std::int64_t whole, Generator& gen, Draw kind) {
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>((whole + 3) / 4));
  const std::uint64_t key = gen.seed();
  const std::int64_t block_lo = skip / 4, block_hi = (skip + n + 3) / 4;
  parallel_for(block_lo, block_hi, kGrainSize / 4, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t j = lo; j < hi; ++j) {
      const Philox4 r = philox4x32_10(key, first + static_cast<std::uint64_t>(j));
      double v[4];
      if (kind == Draw::Uniform) {
        // 24 bits for float32 (exactly representable, never 1.0), 32 for float64.
        for (int k = 0; k < 4; ++k)
          v[k] = sizeof(T) == 4 ? (r.v[k] >> 8) * (1.0 / 16777216.0) : r.v[k] * (1.0 / 4294967296.0);
      } else {
        for (int k = 0; k < 4; k += 2) {
          const double u1 = (r.v[k] + 0.5) * (1.0 / 4294967296.0);  // in (0, 1): log is finite
          const double u2 = r.v[k + 1] * (1.0 / 4294967296.0);
          const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 6.283185307179586 * u2;
          v[k] = radius * std::cos(angle);
          v[k + 1] = radius * std::sin(angle);
        }
      }
      for (int k = 0; k < 4; ++k) {
        const std::int64_t i = 4 * j + k - skip;
        if (i >= 0 && i < n) out[i] = static_cast<T>(v[k]);
      }
    }
  });
}

Tensor random(const Shape& shape, Generator& gen, DType dtype, Device device, Draw kind) {
  const char* name = kind == Draw::Normal ? "randn" : "rand";
  Tensor host = Tensor::empty(shape, dtype, Device::cpu());
  const std::int64_t n = host.numel();
  std::int64_t skip = 0, whole = n;
  if (const Generator::Rows& rows = gen.rows(); rows.total > 0) {
    if (shape.empty() || shape[0] != rows.end - rows.begin)
      throw ValueError(std::string(name) + ": a generator sharded to rows [" + std::to_string(rows.begin) + ", " +
                       std::to_string(rows.end) + ") of " + std::to_string(rows.total) + " drew " + shape_str(shape) +
                       ", whose first dim is not those " + std::to_string(rows.end - rows.begin) + " rows");
    const std::int64_t row = shape[0] == 0 ? 0 : n / shape[0];
    skip = rows.begin * row;
    whole = rows.total * row;
  }
  AIME_DISPATCH_FLOATING(dtype, name, [&] { draw(host.data<scalar_t>(), n, skip, whole, gen, kind); });
  return host.to(device);
}
}  // namespace

Tensor randn(const Shape& shape, Generator& gen, DType dtype, Device device) {
  return random(shape, gen, dtype, device, Draw::Normal);
}
Tensor rand(const Shape& shape, Generator& gen, DType dtype, Device device) {
  return random(shape, gen, dtype, device, Draw::Uniform);
}
Tensor randn(const Shape& shape, DType dtype, Device device) { return randn(shape, default_generator(), dtype, device); }
Tensor rand(const Shape& shape, DType dtype, Device device) { return rand(shape, default_generator(), dtype, device); }
Tensor randn_like(const Tensor& x, Generator& gen) { return randn(x.shape(), gen, x.dtype(), x.device()); }
Tensor rand_like(const Tensor& x, Generator& gen) { return rand(x.shape(), gen, x.dtype(), x.device()); }

}  // namespace aime
