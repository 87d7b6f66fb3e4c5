// Runs every entry of the op-test harness (autograd/testing/op_cases.cpp) in every CPU mode,
// and checks that every AIME_OP declared in autograd/ops/*.h has an entry.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "autograd/api.h"
#include "autograd/testing/gradcheck.h"
#include "autograd/testing/op_cases.h"

namespace aime {
namespace {

std::string case_name(const testing::TestParamInfo<std::size_t>& info) {
  std::string s = op_cases()[info.param].op + "_" + std::to_string(info.param);
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

class OpHarness : public testing::TestWithParam<std::size_t> {};

// Mode 1: float64 gradient check against central differences (and for every op, a
// forward that is deterministic and finite).
TEST_P(OpHarness, GradcheckFloat64) {
  const OpCase& c = op_cases()[GetParam()];
  SCOPED_TRACE(c.op + " (" + c.variant + ")");
  Generator gen(42 + GetParam());
  const std::vector<Tensor> inputs = c.make_inputs(gen, kFloat64);
  for (const auto& x : inputs)
    if (x.is_floating_point()) {
      ASSERT_GT(sum(abs(x)).item(), 0.0) << "harness inputs must not be all zeros";
    }
  const Tensor y1 = c.fn(inputs), y2 = c.fn(inputs);
  EXPECT_EQ(y1.to_vector<double>(), y2.to_vector<double>()) << "forward is not deterministic";
  for (double v : y1.to_vector<double>()) ASSERT_TRUE(std::isfinite(v)) << "non-finite output";
  if (!c.differentiable) {
    EXPECT_FALSE(y1.requires_grad());
    return;
  }
  GradcheckOptions opt;
  opt.atol = c.atol;
  opt.rtol = c.rtol;
  opt.eps = c.eps;
  const GradcheckResult r = gradcheck(c.fn, inputs, opt);
  EXPECT_TRUE(r.ok) << r.message;
}

// Mode 2: float32 forward agrees with float64 (the kernels are one template per dtype).
TEST_P(OpHarness, Float32MatchesFloat64) {
  const OpCase& c = op_cases()[GetParam()];
  SCOPED_TRACE(c.op + " (" + c.variant + ")");
  Generator g64(7), g32(7);
  const std::vector<Tensor> in64 = c.make_inputs(g64, kFloat64);
  std::vector<Tensor> in32;
  for (const auto& x : in64) in32.push_back(x.is_floating_point() ? x.to(kFloat32) : x);
  const auto y64 = c.fn(in64).to_vector<double>();
  const auto y32 = c.fn(in32).to_vector<double>();
  ASSERT_EQ(y64.size(), y32.size());
  for (std::size_t i = 0; i < y64.size(); ++i) EXPECT_NEAR(y32[i], y64[i], 1e-4 * (1 + std::fabs(y64[i]))) << "at " << i;
}

// Mode 3, CUDA vs CPU parity, lives in tests/autograd/cuda_test.cpp (label `cuda`).

std::vector<std::size_t> all_cases() {
  std::vector<std::size_t> idx(op_cases().size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  return idx;
}
INSTANTIATE_TEST_SUITE_P(AllOps, OpHarness, testing::ValuesIn(all_cases()), case_name);

// Mode 4: bad arguments raise an aime::Error naming the op and what was wrong.
TEST(OpHarnessErrors, EveryErrorCaseThrowsANamedError) {
  for (const OpErrorCase& e : op_error_cases()) {
    SCOPED_TRACE(e.op);
    try {
      e.call();
      ADD_FAILURE() << e.op << ": expected an aime::Error";
    } catch (const Error& err) {
      for (const auto& m : e.mentions)
        EXPECT_NE(std::string(err.what()).find(m), std::string::npos) << "message \"" << err.what() << "\" lacks \"" << m << "\"";
    }
  }
}

// Every op declared with AIME_OP in autograd/ops/*.h.
std::set<std::string> declared_ops() {
  std::set<std::string> names;
  const std::regex decl(R"(AIME_OP\s+[\w:<>]+\s+(\w+)\s*\()");
  for (const auto& entry : std::filesystem::directory_iterator(std::string(AIME_SOURCE_DIR) + "/autograd/ops")) {
    if (entry.path().extension() != ".h") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    for (auto it = std::sregex_iterator(s.begin(), s.end(), decl); it != std::sregex_iterator(); ++it)
      names.insert((*it)[1]);
  }
  return names;
}

TEST(OpHarnessCoverage, EveryDeclaredOpHasAHarnessEntryAndAnErrorCase) {
  const auto declared = declared_ops();
  ASSERT_GT(declared.size(), 50u) << "the AIME_OP scan found too few ops; is AIME_SOURCE_DIR right?";
  std::set<std::string> with_case, with_error;
  for (const auto& c : op_cases()) with_case.insert(c.op);
  for (const auto& e : op_error_cases()) with_error.insert(e.op);
  for (const auto& op : declared) {
    EXPECT_TRUE(with_case.count(op)) << "op '" << op << "' has no entry in autograd/testing/op_cases.cpp";
    EXPECT_TRUE(with_error.count(op)) << "op '" << op << "' has no error case in autograd/testing/op_cases.cpp";
  }
  for (const auto& op : with_case) EXPECT_TRUE(declared.count(op)) << "harness entry '" << op << "' names no AIME_OP";
}

// The checker itself must be able to fail: a deliberately wrong backward is caught.
TEST(Gradcheck, CatchesAWrongGradient) {
  auto wrong_square = [](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    Tensor y = square(x.detach());
    return record(y, "WrongSquareBackward", {x}, [xd = x.detach()](const Tensor& g) {
      return std::vector<Tensor>{g * xd * 2.1};  // should be 2
    });
  };
  Generator gen(3);
  const GradcheckResult r = gradcheck(wrong_square, {randn({4}, gen, kFloat64)});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("analytic"), std::string::npos);
}

TEST(Gradcheck, RejectsFloat32Inputs) {
  EXPECT_THROW(gradcheck([](const std::vector<Tensor>& in) { return in[0]; }, {zeros({2})}), DTypeError);
}

}  // namespace
}  // namespace aime
