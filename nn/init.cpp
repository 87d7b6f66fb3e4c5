#include "nn/init.h"

#include "autograd/cpu/eigen_core.h"  // first: see why there
#include <Eigen/Dense>
#include <cmath>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"

namespace aime::nn::init {

namespace {
// Writes host-made values into t (any device), outside the graph.
void assign(Tensor& t, const Tensor& values) {
  NoGradGuard no_grad;
  Tensor target = t.detach();
  target.copy_(values.to(t.device()));
}

void require_floating(const Tensor& t, const char* fn) {
  if (!t.defined() || !t.is_floating_point())
    throw DTypeError(std::string("init::") + fn + ": expected a defined floating tensor");
}
}  // namespace

std::pair<std::int64_t, std::int64_t> fan_in_and_fan_out(const Tensor& weight) {
  if (weight.dim() < 2)
    throw ValueError("init: fan in and fan out need a tensor with at least 2 dims, got " + shape_str(weight.shape()));
  std::int64_t receptive = 1;
  for (std::int64_t d = 2; d < weight.dim(); ++d) receptive *= weight.size(d);
  return {weight.size(1) * receptive, weight.size(0) * receptive};
}

double calculate_gain(const std::string& nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "identity" || nonlinearity == "sigmoid" ||
      nonlinearity.rfind("conv", 0) == 0)
    return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu") return 0.75;
  throw ValueError("init::calculate_gain: unsupported nonlinearity '" + nonlinearity +
                   "' (expected linear, identity, conv*, sigmoid, tanh, relu, leaky_relu or selu)");
}

void uniform_(Tensor t, double low, double high, Generator& gen) {
  require_floating(t, "uniform_");
  assign(t, rand(t.shape(), gen, kFloat64) * (high - low) + low);
}

void normal_(Tensor t, double mean, double std, Generator& gen) {
  require_floating(t, "normal_");
  assign(t, randn(t.shape(), gen, kFloat64) * std + mean);
}

void constant_(Tensor t, double value) {
  require_floating(t, "constant_");
  NoGradGuard no_grad;
  t.detach().fill_(value);
}
void zeros_(Tensor t) { constant_(t, 0.0); }
void ones_(Tensor t) { constant_(t, 1.0); }

void xavier_uniform_(Tensor t, double gain, Generator& gen) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform_(t, -bound, bound, gen);
}

void xavier_normal_(Tensor t, double gain, Generator& gen) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), gen);
}

namespace {
double kaiming_std(const Tensor& t, double a, bool fan_in_mode, const std::string& nonlinearity) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  const double fan = static_cast<double>(fan_in_mode ? fan_in : fan_out);
  if (fan == 0) throw ValueError("init::kaiming: cannot initialise a tensor with zero elements " + shape_str(t.shape()));
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}
}  // namespace

void kaiming_uniform_(Tensor t, double a, bool fan_in_mode, const std::string& nonlinearity, Generator& gen) {
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, fan_in_mode, nonlinearity);
  uniform_(t, -bound, bound, gen);
}

void kaiming_normal_(Tensor t, double a, bool fan_in_mode, const std::string& nonlinearity, Generator& gen) {
  normal_(t, 0.0, kaiming_std(t, a, fan_in_mode, nonlinearity), gen);
}

void orthogonal_(Tensor t, double gain, Generator& gen) {
  require_floating(t, "orthogonal_");
  if (t.dim() < 2) throw ValueError("init::orthogonal_: needs a tensor with at least 2 dims, got " + shape_str(t.shape()));
  const std::int64_t rows = t.size(0), cols = t.numel() / rows;
  // QR of the tall orientation: Q has orthonormal columns.
  const bool wide = rows < cols;
  const std::int64_t m = wide ? cols : rows, n = wide ? rows : cols;
  const std::vector<double> gauss = randn({m, n}, gen, kFloat64).to_vector<double>();
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Matrix a = Eigen::Map<const Matrix>(gauss.data(), m, n);
  Eigen::HouseholderQR<Matrix> qr(a);
  Matrix q = qr.householderQ() * Matrix::Identity(m, n);
  const Matrix r = qr.matrixQR().topRows(n).template triangularView<Eigen::Upper>();
  for (std::int64_t j = 0; j < n; ++j)
    if (r(j, j) < 0) q.col(j) *= -1.0;
  if (wide) q.transposeInPlace();  // now [rows, cols]
  std::vector<double> values(q.data(), q.data() + q.size());
  for (double& v : values) v *= gain;
  assign(t, tensor(values, t.shape(), kFloat64));
}

}  // namespace aime::nn::init
