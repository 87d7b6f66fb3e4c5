// Runs every entry of the op-test harness (autograd/testing/op_cases.cpp) in every CPU mode,
// and checks that every AIME_OP declared in autograd/ops/*.h has an entry.
#include <gtest/gtest.h>

#include <array>
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

// Mode 4: with the CBLAS chosen for the CPU's products (autograd/cpu_gemm_choice.h), every
// op's forward and input gradients (float64, under a fixed random output gradient) equal
// Eigen's to rounding. Ops without a product run the same code both times.
TEST_P(OpHarness, BlasMatchesEigen) {
  if (available_cpu_gemms().size() < 2) GTEST_SKIP() << "this build has no CBLAS";
  const OpCase& c = op_cases()[GetParam()];
  SCOPED_TRACE(c.op + " (" + c.variant + ")");
  const std::string before = cpu_gemm_is_blas() ? "blas" : "eigen";
  auto run = [&](const std::string& gemm) {
    set_cpu_gemm(gemm);
    Generator gen(11 + GetParam());
    std::vector<Tensor> inputs = c.make_inputs(gen, kFloat64);
    for (auto& x : inputs)
      if (x.is_floating_point() && c.differentiable) x = x.detach().requires_grad_();
    const Tensor y = c.fn(inputs);
    std::vector<std::vector<double>> out{y.to_vector<double>()};
    if (c.differentiable && y.requires_grad()) {
      sum(y * randn(y.shape(), gen, kFloat64)).backward();
      for (const auto& x : inputs)
        if (x.is_floating_point() && x.grad().defined()) out.push_back(x.grad().to_vector<double>());
    }
    return out;
  };
  const auto eigen = run("eigen"), blas = run("blas");
  set_cpu_gemm(before);
  ASSERT_EQ(eigen.size(), blas.size());
  for (std::size_t t = 0; t < eigen.size(); ++t) {
    ASSERT_EQ(eigen[t].size(), blas[t].size());
    for (std::size_t i = 0; i < eigen[t].size(); ++i)
      EXPECT_NEAR(blas[t][i], eigen[t][i], 1e-12 * (1 + std::fabs(eigen[t][i]))) << "tensor " << t << " at " << i;
  }
}

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
TEST(CpuGemm, AnUnknownChoiceIsANamedError) {
  try {
    set_cpu_gemm("mkl-please");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("expected one of eigen"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'mkl-please'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("or auto"), std::string::npos) << e.what();
  }
  EXPECT_EQ(available_cpu_gemms().front(), "eigen");
}

// auto takes the CBLAS unless it is an OpenBLAS on kernels older than AVX2 (its fallback on a
// CPU it does not know); a build without a CBLAS stays on Eigen.
TEST(CpuGemm, AutoSkipsAnOpenBlasOnPreAvx2Kernels) {
  for (const char* core : {"Haswell", "Zen", "SkylakeX", "COOPERLAKE", "SapphireRapids"})
    EXPECT_TRUE(openblas_core_has_avx2(core)) << core;
  for (const char* core : {"Prescott", "Core2", "Nehalem", "Sandybridge", "Barcelona", "Unknown", "", "Zen2x"})
    EXPECT_FALSE(openblas_core_has_avx2(core)) << core;
  const bool before = cpu_gemm_is_blas();
  set_cpu_gemm("auto");
  if (available_cpu_gemms().size() < 2) {
    EXPECT_FALSE(cpu_gemm_is_blas());
  }
  if (cpu_gemm_is_blas()) {
    EXPECT_NE(cpu_gemm_name().find("blas"), std::string::npos) << cpu_gemm_name();
  }
  set_cpu_gemm(before ? "blas" : "eigen");
}

// Every form of product the backend runs (both transposes, accumulate, a batch of small
// ones spread over threads, one large threaded one) gives Eigen's numbers through the
// CBLAS, in float32 and float64; and the multiply-add counter counts both.
TEST(CpuGemm, BlasMatchesEigenOnEveryForm) {
  if (available_cpu_gemms().size() < 2) GTEST_SKIP() << "this build has no CBLAS";
  const std::string before = cpu_gemm_is_blas() ? "blas" : "eigen";
  for (DType dt : {kFloat32, kFloat64})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (auto [batch, m, n, k] : std::vector<std::array<std::int64_t, 4>>{{1, 7, 5, 3}, {6, 9, 4, 11}, {1, 300, 200, 150}}) {
          SCOPED_TRACE(std::string(dtype_name(dt)) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
                       " batch=" + std::to_string(batch) + " m=" + std::to_string(m));
          Generator gen(5);
          const Tensor a = randn(ta ? Shape{batch, k, m} : Shape{batch, m, k}, gen, dt);
          const Tensor b = randn(tb ? Shape{batch, n, k} : Shape{batch, k, n}, gen, dt);
          const Tensor c0 = randn({batch, m, n}, gen, dt);
          std::vector<std::vector<double>> results;
          for (const char* gemm : {"eigen", "blas"})
            for (double beta : {0.0, 1.0, 0.5}) {
              set_cpu_gemm(gemm);
              Tensor c = c0.clone();
              const std::int64_t before_madds = cpu_gemm_multiply_adds();
              backend_for(c.device()).gemm(ta, tb, a, b, c, beta);
              EXPECT_EQ(cpu_gemm_multiply_adds() - before_madds, batch * m * n * k);
              results.push_back(c.to_vector<double>());
            }
          const double tol = dt == kFloat32 ? 1e-4 : 1e-12;
          for (int r = 0; r < 3; ++r)
            for (std::size_t i = 0; i < results[r].size(); ++i)
              ASSERT_NEAR(results[3 + r][i], results[r][i], tol * (1 + std::fabs(results[r][i]))) << "beta case " << r;
        }
  set_cpu_gemm(before);
}

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
