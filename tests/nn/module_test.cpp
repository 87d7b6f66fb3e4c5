#include "nn/module.h"

#include <gtest/gtest.h>

#include "autograd/api.h"
#include "nn/linear.h"
#include "nn/mlp.h"

namespace aime::nn {
namespace {

// A two-level model: encoder (with conv-like sub-layer names) and a head, plus a buffer.
class Toy : public Module {
 public:
  Toy() : Module("Toy") {
    encoder = register_module("encoder", std::make_shared<Encoder>());
    head = register_module("head", std::make_shared<Linear>(4, 2));
    scale = register_parameter("scale", ones({2}));
    initial = register_buffer("initial", zeros({4}));
  }
  Tensor forward(const Tensor& x) { return head->forward(encoder->forward(x)) * scale; }

  struct Encoder : Module {
    Encoder() : Module("Encoder") { conv1 = register_module("conv1", std::make_shared<Linear>(3, 4)); }
    Tensor forward(const Tensor& x) { return tanh(conv1->forward(x)); }
    std::shared_ptr<Linear> conv1;
  };
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<Linear> head;
  Tensor scale, initial;
};

TEST(Module, HierarchicalNamesInRegistrationOrder) {
  Toy toy;
  std::vector<std::string> names;
  for (const auto& [name, p] : toy.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "encoder.conv1.weight", "encoder.conv1.bias", "head.weight",
                                             "head.bias"}));
  EXPECT_EQ(toy.named_parameters(false).size(), 1u);
  EXPECT_EQ(toy.named_buffers()[0].first, "initial");
  EXPECT_EQ(toy.state_dict().keys(),
            (std::vector<std::string>{"scale", "initial", "encoder.conv1.weight", "encoder.conv1.bias", "head.weight",
                                      "head.bias"}));
  std::vector<std::string> modules;
  for (const auto& [name, m] : toy.named_modules()) modules.push_back(name + ":" + m->type_name());
  EXPECT_EQ(modules, (std::vector<std::string>{":Toy", "encoder:Encoder", "encoder.conv1:Linear", "head:Linear"}));
  EXPECT_EQ(toy.num_parameters(), 2 + 3 * 4 + 4 + 4 * 2 + 2);
}

TEST(Module, NamesMustBeUniqueAndDotFree) {
  Toy toy;
  EXPECT_THROW(toy.register_parameter("scale", ones({1})), ValueError);
  EXPECT_THROW(toy.register_buffer("head", ones({1})), ValueError);
  EXPECT_THROW(toy.register_parameter("a.b", ones({1})), ValueError);
  EXPECT_THROW(toy.register_parameter("ints", zeros({1}, kInt64)), ValueError);
}

TEST(Module, FreezingTurnsOffGradientsForTheWholeSubtree) {
  Toy toy;
  toy.encoder->freeze();
  EXPECT_FALSE(toy.encoder->conv1->weight.requires_grad());
  EXPECT_TRUE(toy.head->weight.requires_grad());
  EXPECT_EQ(toy.num_parameters(true), 2 + 4 * 2 + 2);
  toy.forward(ones({1, 3})).sum().backward();
  EXPECT_FALSE(toy.encoder->conv1->weight.grad().defined());
  EXPECT_TRUE(toy.head->weight.grad().defined());
  toy.unfreeze();
  EXPECT_EQ(toy.num_parameters(true), toy.num_parameters());
}

TEST(Module, TrainAndEvalReachEveryDescendant) {
  Toy toy;
  EXPECT_TRUE(toy.encoder->conv1->is_training());
  toy.eval();
  EXPECT_FALSE(toy.encoder->conv1->is_training());
  toy.train();
  EXPECT_TRUE(toy.head->is_training());
}

TEST(Module, ZeroGradZeroesInPlaceOrDrops) {
  Toy toy;
  toy.forward(ones({1, 3})).sum().backward();
  const Tensor g = toy.head->weight.grad();
  ASSERT_GT(max(abs(g)).item(), 0.0);
  toy.zero_grad();
  EXPECT_TRUE(toy.head->weight.grad().shares_storage_with(g));
  EXPECT_EQ(max(abs(g)).item(), 0.0);
  toy.zero_grad(true);
  EXPECT_FALSE(toy.head->weight.grad().defined());
}

TEST(Module, ToDtypeKeepsTheLayersHandlesValid) {
  Toy toy;
  const Tensor handle = toy.head->weight;
  const auto before = handle.to_vector<double>();
  toy.to(kFloat64);
  EXPECT_EQ(handle.dtype(), kFloat64);  // the same TensorImpl, rebound
  EXPECT_EQ(toy.head->weight.dtype(), kFloat64);
  EXPECT_TRUE(handle.requires_grad());
  EXPECT_EQ(handle.to_vector<double>(), before);
  EXPECT_EQ(toy.forward(ones({1, 3}, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(toy.device(), Device::cpu());
  toy.to(Device::cpu());
  EXPECT_THROW(toy.to(kInt64), DTypeError);
}

TEST(Module, LoadStateDictCopiesValuesInPlace) {
  Toy a, b;
  const Tensor handle = b.head->weight;
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(handle.to_vector<float>(), a.head->weight.to_vector<float>());
  EXPECT_FALSE(handle.shares_storage_with(a.head->weight));
}

TEST(Module, LoadStateDictNamesTheKeyAndBothShapes) {
  Toy toy;
  StateDict state = toy.state_dict();
  state.set("head.weight", zeros({3, 4}));
  const auto before = toy.encoder->conv1->weight.to_vector<float>();
  state.set("encoder.conv1.weight", zeros({4, 3}));
  try {
    toy.load_state_dict(state);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("head.weight: the state dict has [3, 4], this module has [2, 4]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(toy.encoder->conv1->weight.to_vector<float>(), before);  // nothing loaded
}

TEST(Module, StrictLoadingRejectsMissingAndUnexpectedKeys) {
  Toy toy;
  StateDict partial;
  partial.set("head.bias", ones({2}));
  partial.set("extra", ones({1}));
  try {
    toy.load_state_dict(partial);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("missing keys: scale"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unexpected keys: extra"), std::string::npos) << e.what();
  }
  const LoadResult r = toy.load_state_dict(partial, false);
  EXPECT_EQ(r.unexpected_keys, (std::vector<std::string>{"extra"}));
  EXPECT_EQ(r.missing_keys.size(), 5u);
  EXPECT_EQ(toy.head->bias.to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Module, PrintsTheTreeLikePyTorch) {
  Toy toy;
  EXPECT_EQ(toy.repr(),
            "Toy(\n"
            "  (encoder): Encoder(\n"
            "    (conv1): Linear(in_features=3, out_features=4, bias=True)\n"
            "  )\n"
            "  (head): Linear(in_features=4, out_features=2, bias=True)\n"
            ")");
}

}  // namespace
}  // namespace aime::nn
