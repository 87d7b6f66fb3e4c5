#include "nn/mlp.h"

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

}  // namespace aime::nn
