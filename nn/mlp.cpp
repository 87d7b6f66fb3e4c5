#include "nn/mlp.h"

#include "autograd/ops/elementwise.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/shape_ops.h"
#include "nn/activation.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"

namespace aime::nn {

MLPOptions mlp_options(std::int64_t in, std::int64_t out, std::int64_t hidden, std::int64_t layers, bool layer_norm,
                       const std::string& hidden_activation, const std::string& output_activation, bool have_head) {
  MLPOptions o;
  o.in_features = in;
  o.out_features = out;
  o.hidden_size = hidden;
  o.hidden_layers = layers;
  o.layer_norm = layer_norm;
  o.hidden_activation = hidden_activation;
  o.output_activation = output_activation;
  o.have_head = have_head;
  return o;
}

MLP::MLP(const MLPOptions& o, Generator& gen)
    : Sequential("MLP"), options(o), output_size(o.have_head ? o.out_features : o.hidden_size) {
  if (o.in_features <= 0 || o.hidden_layers < 0 || (o.hidden_layers > 0 && o.hidden_size <= 0) ||
      (o.have_head && o.out_features <= 0) || (!o.have_head && o.hidden_layers == 0))
    throw ValueError("MLP: need in_features > 0, hidden_layers >= 0, hidden_size > 0 when hidden_layers > 0, "
                     "out_features > 0 with a head, and a head or a hidden layer; got in " +
                     std::to_string(o.in_features) + ", out " + std::to_string(o.out_features) + ", hidden " +
                     std::to_string(o.hidden_size) + " x " + std::to_string(o.hidden_layers) +
                     (o.have_head ? ", head" : ", no head"));
  std::int64_t width = o.in_features;
  for (std::int64_t i = 0; i < o.hidden_layers; ++i) {
    push_back(std::make_shared<Linear>(width, o.hidden_size, true, gen));
    if (o.layer_norm) push_back(std::make_shared<LayerNorm>(Shape{o.hidden_size}));
    push_back(make_activation(o.hidden_activation));
    width = o.hidden_size;
  }
  if (o.have_head) {
    push_back(std::make_shared<Linear>(width, o.out_features, true, gen));
    if (o.output_activation != "identity" && o.output_activation != "none")
      push_back(make_activation(o.output_activation));
  }
}

Tensor MLP::forward(const Tensor& x) {
  if (x.dim() < 1 || x.size(-1) != options.in_features)
    throw ShapeError("MLP: input must be [..., " + std::to_string(options.in_features) + "], got " +
                     shape_str(x.shape()));
  Shape out_shape = x.shape();
  out_shape.back() = output_size;
  return Sequential::forward(x.reshape({-1, options.in_features})).reshape(out_shape);
}

SplitFirstLayer MLP::split_first_layer(const Tensor& tail, std::int64_t head_size) const {
  const auto* first = dynamic_cast<const Linear*>((*this)[0].get());
  if (first == nullptr) throw ValueError("MLP::split_first_layer: the first layer is not a Linear");
  const std::int64_t tail_size = options.in_features - head_size;
  if (head_size < 1 || tail_size < 1 || tail.dim() < 1 || tail.size(-1) != tail_size)
    throw ShapeError("MLP::split_first_layer: head " + std::to_string(head_size) + " + tail " +
                     shape_str(tail.shape()) + " must split in_features " + std::to_string(options.in_features));
  SplitFirstLayer split;
  split.head_weight = first->weight.narrow(1, 0, head_size).contiguous();
  Shape out = tail.shape();
  out.back() = first->out_features;
  split.tail_term =
      linear(tail.reshape({-1, tail_size}), first->weight.narrow(1, head_size, tail_size).contiguous(), first->bias)
          .reshape(out);
  return split;
}

Tensor MLP::forward_split(const Tensor& head, const Tensor& head_weight, const Tensor& tail_term) const {
  Tensor x = linear(head, head_weight) + tail_term;
  for (std::size_t i = 1; i < size(); ++i) x = (*this)[i]->forward(x);
  return x;
}

}  // namespace aime::nn
