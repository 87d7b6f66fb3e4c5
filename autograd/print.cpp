// Tensor printing in PyTorch's layout:
//   tensor([[ 0.1000, -2.0000],
//           [ 3.0000,  4.5000]], shape=[2, 2], dtype=float32, device=cpu, grad_fn=<MulBackward>)
// Past 1000 elements each dim shows its first and last 3 entries around "...".
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "autograd/autograd.h"

namespace aime {

namespace {
constexpr std::int64_t kThreshold = 1000, kEdgeItems = 3;

struct Formatter {
  enum class Style { Integer, WholeFloat, Fixed, Scientific } style = Style::Fixed;
  int width = 1;

  std::string format(double v) const {
    char buf[64];
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (style) {
      case Style::Integer: std::snprintf(buf, sizeof buf, "%.0f", v); break;
      case Style::WholeFloat: std::snprintf(buf, sizeof buf, "%.0f.", v); break;
      case Style::Fixed: std::snprintf(buf, sizeof buf, "%.4f", v); break;
      case Style::Scientific: std::snprintf(buf, sizeof buf, "%.4e", v); break;
    }
    return buf;
  }
};

// Which indices of a dim are shown (all, or the edges when summarising); -1 marks "...".
std::vector<std::int64_t> shown(std::int64_t n, bool summarise) {
  std::vector<std::int64_t> idx;
  if (!summarise || n <= 2 * kEdgeItems) {
    for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
  } else {
    for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);
    for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void print_dim(std::ostream& os, const std::vector<double>& v, const Shape& shape, const Shape& strides,
               std::size_t dim, std::int64_t base, const Formatter& f, bool summarise, int indent) {
  if (dim == shape.size()) {
    std::string s = f.format(v[base]);
    os << std::string(f.width > static_cast<int>(s.size()) ? f.width - s.size() : 0, ' ') << s;
    return;
  }
  os << '[';
  const auto idx = shown(shape[dim], summarise);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (k) {
      if (dim + 1 == shape.size()) {
        os << ", ";
      } else {
        os << ',' << std::string(shape.size() - dim - 1, '\n') << std::string(indent + dim + 1, ' ');
      }
    }
    if (idx[k] < 0)
      os << "...";
    else
      print_dim(os, v, shape, strides, dim + 1, base + idx[k] * strides[dim], f, summarise, indent);
  }
  os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  const std::vector<double> v = t.detach().to_vector<double>();
  const bool summarise = t.numel() > kThreshold;
  Formatter f;
  if (!t.is_floating_point()) {
    f.style = Formatter::Style::Integer;
  } else {
    bool whole = true;
    double lo = INFINITY, hi = 0;
    for (double x : v) {
      if (!std::isfinite(x)) continue;
      if (x != std::floor(x)) whole = false;
      const double a = std::fabs(x);
      hi = std::max(hi, a);
      if (a > 0) lo = std::min(lo, a);
    }
    if (whole && hi < 1e8) f.style = Formatter::Style::WholeFloat;
    else if (hi >= 1e8 || (lo < 1e-4 && lo > 0) || (hi / lo > 1000.0 && lo < 1.0)) f.style = Formatter::Style::Scientific;
  }
  for (double x : v) f.width = std::max<int>(f.width, static_cast<int>(f.format(x).size()));
  const int indent = 7;  // strlen("tensor(")
  os << "tensor(";
  print_dim(os, v, t.shape(), contiguous_strides(t.shape()), 0, 0, f, summarise, indent);
  os << ", shape=" << shape_str(t.shape()) << ", dtype=" << dtype_name(t.dtype()) << ", device=" << t.device().str();
  if (t.grad_fn())
    os << ", grad_fn=<" << t.grad_fn()->name << '>';
  else if (t.requires_grad())
    os << ", requires_grad=True";
  return os << ')';
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace aime
