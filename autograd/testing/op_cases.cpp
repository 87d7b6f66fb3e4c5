// The registry of the op-test harness: one block per op family. See op_cases.h.
#include "autograd/testing/op_cases.h"

#include "autograd/api.h"

namespace aime {

namespace {
using Inputs = std::vector<Tensor>;
using Maker = std::function<Inputs(Generator&, DType)>;

// Standard normal inputs of the given shapes.
Maker normal(std::vector<Shape> shapes) {
  return [shapes](Generator& g, DType t) {
    Inputs in;
    for (const auto& s : shapes) in.push_back(randn(s, g, t));
    return in;
  };
}
// Applies a map to every input made by `base` (e.g. to stay in an op's domain).
Maker mapped(Maker base, std::function<Tensor(const Tensor&)> map) {
  return [base, map](Generator& g, DType t) {
    NoGradGuard no_grad;
    Inputs in = base(g, t);
    for (auto& x : in) x = map(x).contiguous();
    return in;
  };
}
Tensor positive(const Tensor& x) { return exp(x * 0.5) + 0.1; }            // (0.1, inf)
Tensor open_unit(const Tensor& x) { return tanh(x) * 0.8; }                // (-0.8, 0.8)
// |x| >= 0.1 with random sign: keeps finite differences off the kinks at 0.
Tensor off_zero(const Tensor& x) {
  Tensor s = where(x > 0.0, ones_like(x), full_like(x, -1.0));
  return s * (abs(x) + 0.1);
}

std::vector<OpCase> build_cases() {
  std::vector<OpCase> c;
  auto add_case = [&](std::string op, std::string variant, Maker make, std::function<Tensor(const Inputs&)> fn,
                      bool differentiable = true) {
    OpCase oc;
    oc.op = std::move(op);
    oc.variant = std::move(variant);
    oc.make_inputs = std::move(make);
    oc.fn = std::move(fn);
    oc.differentiable = differentiable;
    c.push_back(std::move(oc));
  };

  // ---- binary, each with a same-shape case and two broadcasting ones
  struct Bin {
    const char* name;
    Tensor (*fn)(const Tensor&, const Tensor&);
    bool positive_inputs;
  };
  for (const Bin& b : {Bin{"add", add, false}, Bin{"sub", sub, false}, Bin{"mul", mul, false},
                       Bin{"div", div, true}, Bin{"pow", static_cast<Tensor (*)(const Tensor&, const Tensor&)>(pow), true},
                       Bin{"maximum", maximum, false}, Bin{"minimum", minimum, false}}) {
    auto fn = b.fn;
    for (auto shapes : std::vector<std::vector<Shape>>{{{3, 4}, {3, 4}}, {{3, 1}, {4}}, {{2, 1, 3}, {2, 4, 1}}}) {
      Maker m = normal(shapes);
      if (b.positive_inputs) m = mapped(m, positive);
      add_case(b.name, shape_str(shapes[0]) + " with " + shape_str(shapes[1]), m,
               [fn](const Inputs& in) { return fn(in[0], in[1]); });
    }
  }
  add_case("pow", "scalar exponent 2.5", mapped(normal({{3, 4}}), positive),
           [](const Inputs& in) { return pow(in[0], 2.5); });
  add_case("where", "broadcast cond [3, 1], a [3, 4], b [4]", normal({{3, 1}, {3, 4}, {4}}),
           [](const Inputs& in) { return where(in[0].detach() > 0.0, in[1], in[2]); });

  // ---- comparisons (not differentiable: value and determinism checks only)
  for (auto [name, fn] : std::vector<std::pair<const char*, Tensor (*)(const Tensor&, const Tensor&)>>{
           {"eq", eq}, {"ne", ne}, {"lt", lt}, {"le", le}, {"gt", gt}, {"ge", ge}})
    add_case(name, "broadcast [3, 1] with [4]", normal({{3, 1}, {4}}),
             [fn = fn](const Inputs& in) { return fn(in[0], in[1]); }, false);

  // ---- unary, each on two shapes (a matrix and a 0-d scalar) in its domain
  struct Un {
    const char* name;
    std::function<Tensor(const Tensor&)> fn;
    std::function<Tensor(const Tensor&)> domain;
  };
  const auto id = [](const Tensor& x) { return x; };
  for (const Un& u : std::vector<Un>{
           {"neg", [](const Tensor& x) { return neg(x); }, id},
           {"exp", [](const Tensor& x) { return exp(x); }, id},
           {"log", [](const Tensor& x) { return log(x); }, positive},
           {"log1p", [](const Tensor& x) { return log1p(x); }, positive},
           {"sqrt", [](const Tensor& x) { return sqrt(x); }, positive},
           {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, positive},
           {"abs", [](const Tensor& x) { return abs(x); }, off_zero},
           {"square", [](const Tensor& x) { return square(x); }, id},
           {"tanh", [](const Tensor& x) { return tanh(x); }, id},
           {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, id},
           {"softplus", [](const Tensor& x) { return softplus(x); }, id},
           {"softplus", [](const Tensor& x) { return softplus(x * 8.0, 2.0, 5.0); }, off_zero},  // both branches
           {"relu", [](const Tensor& x) { return relu(x); }, off_zero},
           {"elu", [](const Tensor& x) { return elu(x, 0.7); }, off_zero},
           {"silu", [](const Tensor& x) { return silu(x); }, id},
           {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.5); },
            [](const Tensor& x) { return off_zero(x) + 0.5; }},  // off the bounds at +-0.5
           {"atanh", [](const Tensor& x) { return atanh(x); }, open_unit},
           {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }, id}}) {
    for (const Shape& s : {Shape{3, 5}, Shape{}})
      add_case(u.name, "shape " + shape_str(s), mapped(normal({s}), u.domain),
               [fn = u.fn](const Inputs& in) { return fn(in[0]); });
  }

  // ---- reductions
  const Maker x345 = normal({{3, 4, 5}});
  for (auto [variant, dims, keep] : std::vector<std::tuple<std::string, Dims, bool>>{
           {"all dims", Dims{}, false}, {"dim 1", Dims(1), false}, {"dims {0, 2} keepdim", Dims{0, 2}, true},
           {"dims {0, 2}", Dims{0, 2}, false}, {"dim -1 keepdim", Dims(-1), true}}) {
    add_case("sum", variant, x345, [dims = dims, keep = keep](const Inputs& in) { return sum(in[0], dims, keep); });
    add_case("mean", variant, x345, [dims = dims, keep = keep](const Inputs& in) { return mean(in[0], dims, keep); });
    add_case("max", variant, x345, [dims = dims, keep = keep](const Inputs& in) { return max(in[0], dims, keep); });
    add_case("var", variant, x345, [dims = dims, keep = keep](const Inputs& in) { return var(in[0], dims, 1, keep); });
  }
  add_case("logsumexp", "dims {0, 2}", x345, [](const Inputs& in) { return logsumexp(in[0], {0, 2}); });
  add_case("logsumexp", "dim 1 keepdim, large values", mapped(x345, [](const Tensor& x) { return x * 50.0 + 500.0; }),
           [](const Inputs& in) { return logsumexp(in[0], 1, true); });
  add_case("var", "correction 0 over dim 0", x345, [](const Inputs& in) { return var(in[0], 0, 0); });
  add_case("argmax", "dim 1", x345, [](const Inputs& in) { return argmax(in[0], 1); }, false);
  add_case("argmax", "dim -1 keepdim", x345, [](const Inputs& in) { return argmax(in[0], -1, true); }, false);
  add_case("softmax", "dim -1", x345, [](const Inputs& in) { return softmax(in[0], -1); });
  add_case("softmax", "dim 0", x345, [](const Inputs& in) { return softmax(in[0], 0); });
  add_case("log_softmax", "dim 1", x345, [](const Inputs& in) { return log_softmax(in[0], 1); });
  add_case("sum_to", "[2, 3, 4] to [3, 1]", normal({{2, 3, 4}}), [](const Inputs& in) { return sum_to(in[0], {3, 1}); });

  // ---- shape ops
  add_case("reshape", "[3, 4, 5] to [4, -1]", x345, [](const Inputs& in) { return reshape(in[0], {4, -1}); });
  add_case("reshape", "of a permuted (copying) view", x345,
           [](const Inputs& in) { return reshape(permute(in[0], {2, 0, 1}), {5, 12}); });
  add_case("view", "[3, 4, 5] to [12, 5]", x345, [](const Inputs& in) { return view(in[0], {12, 5}); });
  add_case("permute", "{2, 0, 1}", x345, [](const Inputs& in) { return permute(in[0], {2, 0, 1}); });
  add_case("transpose", "dims 0 and 2", x345, [](const Inputs& in) { return transpose(in[0], 0, -1); });
  add_case("narrow", "dim 1 [1, 3)", x345, [](const Inputs& in) { return narrow(in[0], 1, 1, 2); });
  add_case("slice", "dim 2 [1:5:2]", x345, [](const Inputs& in) { return slice(in[0], 2, 1, 5, 2); });
  add_case("select", "dim 1 index -1", x345, [](const Inputs& in) { return select(in[0], 1, -1); });
  add_case("expand", "[3, 1] to [2, 3, 4]", normal({{3, 1}}), [](const Inputs& in) { return expand(in[0], {2, 3, 4}); });
  add_case("squeeze", "dim 1 of [3, 1, 4]", normal({{3, 1, 4}}), [](const Inputs& in) { return squeeze(in[0], 1); });
  add_case("squeeze", "all of [1, 3, 1]", normal({{1, 3, 1}}), [](const Inputs& in) { return squeeze(in[0]); });
  add_case("unsqueeze", "dim -1 of a transposed view", normal({{3, 4}}),
           [](const Inputs& in) { return unsqueeze(in[0].t(), -1); });
  add_case("flatten", "dims 1..2", x345, [](const Inputs& in) { return flatten(in[0], 1); });
  add_case("cat", "dim 1 of [2, 1], [2, 3], [2, 2]", normal({{2, 1}, {2, 3}, {2, 2}}),
           [](const Inputs& in) { return cat({in[0], in[1], in[2]}, 1); });
  add_case("stack", "dim 1 of three [2, 3]", normal({{2, 3}, {2, 3}, {2, 3}}),
           [](const Inputs& in) { return stack({in[0], in[1], in[2]}, 1); });
  add_case("split", "size 2 along dim 2, pieces re-weighted", x345, [](const Inputs& in) {
    auto parts = split(in[0], 2, 2);  // sizes 2, 2, 1
    return cat({parts[0] * 2.0, parts[1], parts[2] * 3.0}, 2);
  });
  add_case("chunk", "3 chunks along dim 1", x345, [](const Inputs& in) {
    auto parts = chunk(in[0], 3, 1);  // sizes 2, 2
    return parts[1] * parts[0];
  });
  add_case("contiguous", "of a transposed view", normal({{3, 4}}), [](const Inputs& in) { return contiguous(in[0].t()); });
  add_case("to_dtype", "float64 -> float32 -> float64", normal({{3, 4}}),
           [](const Inputs& in) { return to_dtype(to_dtype(in[0], kFloat32), kFloat64); });
  // Through float32 a step of 1e-6 drowns in rounding (6e-8 relative); the cast is linear,
  // so a large step is exact up to rounding / eps.
  c.back().eps = 1e-2;

  // ---- indexing
  add_case("index_select", "dim 1 with repeated indices", [](Generator& g, DType t) {
    return Inputs{randn({3, 4, 2}, g, t), from_vector<std::int64_t>({3, 0, 3, 1})};
  }, [](const Inputs& in) { return index_select(in[0], 1, in[1]); });
  add_case("one_hot", "[2, 3] indices, 5 classes", [](Generator&, DType) {
    return Inputs{from_vector<std::int64_t>({0, 4, 2, 2, 1, 3}, {2, 3})};
  }, [](const Inputs& in) { return one_hot(in[0], 5); }, false);

  // ---- products
  add_case("matmul", "[3, 4] @ [4, 5]", normal({{3, 4}, {4, 5}}), [](const Inputs& in) { return matmul(in[0], in[1]); });
  add_case("matmul", "[2, 3, 4] @ [2, 4, 5]", normal({{2, 3, 4}, {2, 4, 5}}),
           [](const Inputs& in) { return matmul(in[0], in[1]); });
  add_case("matmul", "[2, 3, 4] @ [4, 5] (shared right)", normal({{2, 3, 4}, {4, 5}}),
           [](const Inputs& in) { return matmul(in[0], in[1]); });
  add_case("matmul", "[1, 3, 4] @ [2, 4, 5] (broadcast left)", normal({{1, 3, 4}, {2, 4, 5}}),
           [](const Inputs& in) { return matmul(in[0], in[1]); });
  add_case("matmul", "transposed views", normal({{4, 3}, {5, 4}}),
           [](const Inputs& in) { return matmul(in[0].t(), in[1].t()); });
  add_case("linear", "[2, 3, 4] with bias", normal({{2, 3, 4}, {5, 4}, {5}}),
           [](const Inputs& in) { return linear(in[0], in[1], in[2]); });
  add_case("linear", "[3, 4] without bias", normal({{3, 4}, {5, 4}}),
           [](const Inputs& in) { return linear(in[0], in[1]); });
  add_case("conv2d", "stride 1 padding 1, bias", normal({{2, 3, 5, 5}, {4, 3, 3, 3}, {4}}),
           [](const Inputs& in) { return conv2d(in[0], in[1], in[2], 1, 1); });
  add_case("conv2d", "stride 2 no padding, k4 (cnn_ha encoder layer)", normal({{2, 2, 8, 8}, {3, 2, 4, 4}}),
           [](const Inputs& in) { return conv2d(in[0], in[1], Tensor(), 2, 0); });
  add_case("conv_transpose2d", "stride 2, k5 (cnn_ha decoder layer), bias", normal({{2, 3, 2, 2}, {3, 2, 5, 5}, {2}}),
           [](const Inputs& in) { return conv_transpose2d(in[0], in[1], in[2], 2, 0); });
  add_case("conv_transpose2d", "stride 2 padding 1 output_padding 1", normal({{1, 2, 3, 3}, {2, 3, 3, 3}}),
           [](const Inputs& in) { return conv_transpose2d(in[0], in[1], Tensor(), 2, 1, 1); });
  // More than 64 positions and at most 16 output channels: the CPU's direct kernels
  // (autograd/cpu/cpu_conv_direct.h) run each of these in both directions.
  add_case("conv2d", "stride 2, k4, 9x9 out, 5 channels (direct kernels)", normal({{2, 3, 20, 20}, {5, 3, 4, 4}, {5}}),
           [](const Inputs& in) { return conv2d(in[0], in[1], in[2], 2, 0); });
  add_case("conv_transpose2d", "stride 2, k6, 4x24 in (direct kernels)", normal({{1, 3, 4, 24}, {3, 2, 6, 6}}),
           [](const Inputs& in) { return conv_transpose2d(in[0], in[1], Tensor(), 2, 0); });
  for (OpCase& oc : c)
    if (oc.op == "matmul" || oc.op == "linear" || oc.op == "conv2d" || oc.op == "conv_transpose2d")
      oc.parity_rtol = 1e-4;
  return c;
}

std::vector<OpErrorCase> build_error_cases() {
  std::vector<OpErrorCase> e;
  const Tensor a23 = zeros({2, 3}), b4 = zeros({4}), i23 = zeros({2, 3}, kInt64);
  auto bin = [&](std::string name, std::function<Tensor(const Tensor&, const Tensor&)> fn) {
    e.push_back({name, [=] { fn(a23, b4); }, {name, "[2, 3]", "[4]"}});
  };
  bin("add", add); bin("sub", sub); bin("mul", mul); bin("div", div);
  bin("pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); });
  bin("maximum", maximum); bin("minimum", minimum);
  bin("eq", eq); bin("ne", ne); bin("lt", lt); bin("le", le); bin("gt", gt); bin("ge", ge);
  bin("where", [](const Tensor& a, const Tensor& b) { return where(zeros({2, 3}, kUInt8), a, b); });
  // Unary maths needs floating input: an int64 tensor is the bad argument.
  for (auto [name, fn] : std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>>{
           {"neg", [](const Tensor& x) { return neg(x); }}, {"exp", [](const Tensor& x) { return exp(x); }},
           {"log", [](const Tensor& x) { return log(x); }}, {"log1p", [](const Tensor& x) { return log1p(x); }},
           {"sqrt", [](const Tensor& x) { return sqrt(x); }}, {"rsqrt", [](const Tensor& x) { return rsqrt(x); }},
           {"abs", [](const Tensor& x) { return abs(x); }}, {"square", [](const Tensor& x) { return square(x); }},
           {"tanh", [](const Tensor& x) { return tanh(x); }}, {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
           {"softplus", [](const Tensor& x) { return softplus(x); }}, {"relu", [](const Tensor& x) { return relu(x); }},
           {"elu", [](const Tensor& x) { return elu(x); }}, {"silu", [](const Tensor& x) { return silu(x); }},
           {"clamp", [](const Tensor& x) { return clamp(x, 0, 1); }}, {"atanh", [](const Tensor& x) { return atanh(x); }},
           {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }},
           {"mean", [](const Tensor& x) { return mean(x); }}, {"logsumexp", [](const Tensor& x) { return logsumexp(x, 0); }},
           {"var", [](const Tensor& x) { return var(x); }}, {"softmax", [](const Tensor& x) { return softmax(x, 0); }},
           {"log_softmax", [](const Tensor& x) { return log_softmax(x, 0); }}})
    e.push_back({name, [fn = fn, i23] { fn(i23); }, {name, "int64", "[2, 3]"}});
  // Dims out of range.
  e.push_back({"sum", [=] { sum(a23, 2); }, {"sum", "dim 2", "2-D"}});
  e.push_back({"max", [=] { max(a23, -3); }, {"max", "dim -3", "2-D"}});
  e.push_back({"argmax", [=] { argmax(a23, 5); }, {"argmax", "dim 5"}});
  e.push_back({"sum_to", [=] { sum_to(a23, {4}); }, {"sum_to", "[2, 3]", "[4]"}});
  // Shape ops.
  e.push_back({"reshape", [=] { reshape(a23, {4, 2}); }, {"reshape", "[2, 3]", "[4, 2]"}});
  e.push_back({"view", [=] { view(a23.t(), {6}); }, {"view", "[3, 2]", "contiguous"}});
  e.push_back({"permute", [=] { permute(a23, {0, 0}); }, {"permute", "[0, 0]", "[2, 3]"}});
  e.push_back({"transpose", [=] { transpose(a23, 0, 2); }, {"transpose", "dim 2"}});
  e.push_back({"narrow", [=] { narrow(a23, 1, 2, 2); }, {"narrow", "[2, 4)", "[2, 3]"}});
  e.push_back({"slice", [=] { slice(a23, 1, 0, 2, 0); }, {"slice", "step"}});
  e.push_back({"select", [=] { select(a23, 0, 2); }, {"select", "index 2", "[2, 3]"}});
  e.push_back({"expand", [=] { expand(a23, {4, 3}); }, {"expand", "[2, 3]", "[4, 3]"}});
  e.push_back({"squeeze", [=] { squeeze(a23, 3); }, {"squeeze", "dim 3"}});
  e.push_back({"unsqueeze", [=] { unsqueeze(a23, 4); }, {"unsqueeze", "dim 4", "[2, 3]"}});
  e.push_back({"flatten", [=] { flatten(a23, 1, 0); }, {"flatten", "start_dim 1"}});
  e.push_back({"cat", [=] { cat({a23, zeros({3, 3})}, 1); }, {"cat", "[2, 3]", "[3, 3]"}});
  e.push_back({"stack", [=] { stack({a23, zeros({3, 2})}); }, {"stack", "[2, 3]", "[3, 2]"}});
  e.push_back({"split", [=] { split(a23, 0); }, {"split", "size"}});
  e.push_back({"chunk", [=] { chunk(a23, 0); }, {"chunk", "chunks"}});
  e.push_back({"contiguous", [] { contiguous(Tensor()); }, {"undefined"}});
  e.push_back({"to_dtype", [] { to_dtype(Tensor(), kFloat64); }, {"undefined"}});
  // Indexing.
  e.push_back({"index_select", [=] { index_select(a23, 1, from_vector<std::int64_t>({0, 3})); },
               {"index_select", "index 3", "size 3"}});
  e.push_back({"index_select", [=] { index_select(a23, 1, a23); }, {"index_select", "int64", "float32", "[2, 3]"}});
  e.push_back({"one_hot", [] { one_hot(from_vector<std::int64_t>({1, 5}), 5); }, {"one_hot", "index 5", "size 5"}});
  // Products.
  e.push_back({"matmul", [=] { matmul(a23, zeros({4, 5})); }, {"matmul", "inner", "[2, 3]", "[4, 5]"}});
  e.push_back({"matmul", [=] { matmul(zeros({2, 2, 3}), zeros({3, 3, 4})); }, {"matmul", "batch", "[2, 2, 3]", "[3, 3, 4]"}});
  e.push_back({"linear", [=] { linear(a23, zeros({5, 4})); }, {"linear", "[2, 3]", "[5, 4]"}});
  e.push_back({"conv2d", [] { conv2d(zeros({50, 4, 64, 64}), zeros({32, 3, 4, 4})); },
               {"conv2d", "channels", "[50, 4, 64, 64]", "[32, 3, 4, 4]"}});
  e.push_back({"conv2d", [] { conv2d(zeros({4, 64, 64}), zeros({32, 3, 4, 4})); }, {"conv2d", "[N, C, H, W]", "[4, 64, 64]"}});
  e.push_back({"conv_transpose2d", [] { conv_transpose2d(zeros({1, 8, 5, 5}), zeros({4, 3, 5, 5})); },
               {"conv_transpose2d", "channels", "[1, 8, 5, 5]", "[4, 3, 5, 5]"}});
  e.push_back({"conv_transpose2d", [] { conv_transpose2d(zeros({1, 4, 5, 5}), zeros({4, 3, 5, 5}), Tensor(), 2, 0, 2); },
               {"conv_transpose2d", "output_padding"}});
  return e;
}
}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = build_cases();
  return cases;
}

const std::vector<OpErrorCase>& op_error_cases() {
  static const std::vector<OpErrorCase> cases = build_error_cases();
  return cases;
}

}  // namespace aime
