// Distribution: the interface of every probability distribution in aime (after
// torch.distributions). Every method is made of autograd ops, so a distribution runs on any
// device and differentiates with respect to its parameters; rsample() differentiates with
// respect to them through the sample too (the reparameterisation trick).
//
// Shapes: batch_shape holds independent distributions, event_shape is the shape of one
// draw (empty for scalar distributions such as Normal; [K] for OneHotCategorical; the
// reinterpreted trailing dims for Independent). sample(gen, {S}) returns
// [S, batch..., event...]; log_prob(x) returns one value per batch element.
//
// Random draws come from a Generator: one --seed fixes them all.
#pragma once
#include <memory>
#include <string>

#include "autograd/generator.h"
#include "autograd/tensor.h"

namespace aime::distributions {

class Distribution {
 public:
  virtual ~Distribution() = default;
  virtual std::string name() const = 0;
  const Shape& batch_shape() const { return batch_shape_; }
  const Shape& event_shape() const { return event_shape_; }

  // A draw, cut from the graph.
  virtual Tensor sample(Generator& gen, const Shape& sample_shape = {}) const;
  Tensor sample() const { return sample(default_generator()); }
  // A reparameterised draw: gradients flow to the parameters. Throws ValueError where the
  // distribution has none (Bernoulli).
  virtual Tensor rsample(Generator& gen, const Shape& sample_shape = {}) const;
  Tensor rsample() const { return rsample(default_generator()); }
  virtual bool has_rsample() const { return false; }

  virtual Tensor log_prob(const Tensor& value) const = 0;
  virtual Tensor entropy() const = 0;
  virtual Tensor mean() const = 0;
  virtual Tensor mode() const = 0;
  virtual Tensor variance() const = 0;
  virtual Tensor stddev() const;
  // The same distribution with its parameters detached (stop-gradient), for KL balancing.
  virtual std::shared_ptr<Distribution> detach() const = 0;

 protected:
  Distribution(Shape batch_shape, Shape event_shape)
      : batch_shape_(std::move(batch_shape)), event_shape_(std::move(event_shape)) {}
  // sample_shape + batch_shape + event_shape.
  Shape extended_shape(const Shape& sample_shape) const;

 private:
  Shape batch_shape_;
  Shape event_shape_;
};

}  // namespace aime::distributions
