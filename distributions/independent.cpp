#include "distributions/independent.h"

#include "autograd/ops/reduce.h"

namespace aime::distributions {

namespace {
std::pair<Shape, Shape> split_shapes(const std::shared_ptr<const Distribution>& base, std::int64_t n) {
  if (!base) throw ValueError("Independent: base distribution is null");
  const Shape& b = base->batch_shape();
  if (n < 0 || n > static_cast<std::int64_t>(b.size()))
    throw ValueError("Independent: reinterpreted_batch_ndims must be in [0, " + std::to_string(b.size()) +
                     "] for a base with batch shape " + shape_str(b) + ", got " + std::to_string(n));
  Shape batch(b.begin(), b.end() - n), event(b.end() - n, b.end());
  event.insert(event.end(), base->event_shape().begin(), base->event_shape().end());
  return {batch, event};
}
}  // namespace

Independent::Independent(std::shared_ptr<const Distribution> base, std::int64_t n)
    : Distribution(split_shapes(base, n).first, split_shapes(base, n).second), base_(std::move(base)), ndims_(n) {}

Tensor Independent::sum_rightmost(const Tensor& x) const {
  if (ndims_ == 0) return x;
  std::vector<std::int64_t> dims;
  for (std::int64_t d = x.dim() - ndims_; d < x.dim(); ++d) dims.push_back(d);
  return sum(x, dims);
}

Tensor Independent::log_prob(const Tensor& value) const { return sum_rightmost(base_->log_prob(value)); }
Tensor Independent::entropy() const { return sum_rightmost(base_->entropy()); }

std::shared_ptr<Distribution> Independent::detach() const {
  return std::make_shared<Independent>(base_->detach(), ndims_);
}

}  // namespace aime::distributions
