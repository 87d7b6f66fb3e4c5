// The CUDA backend (label `cuda`: `ctest -L cuda`). On a machine with a GPU every test
// runs; in a build without the backend, or without a GPU, each skips with the reason,
// except the ones that check how the backend behaves without a GPU.
//   - CudaParity: every entry of the op-test harness (autograd/testing/op_cases.cpp),
//     forward and backward, CUDA against CPU in float32 on random inputs;
//   - CudaBackend: shapes beyond the harness's small ones (GEMM tiles, conv chunks, long
//     reductions), copies of every dtype, device-side index errors, the caching
//     allocator's steady state, TF32, a whole training step on the GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/api.h"
#include "autograd/testing/op_cases.h"
#include "nn/nn.h"

namespace aime {
namespace {

#define REQUIRE_GPU()                                                                                       \
  do {                                                                                                      \
    if (!has_backend(Device::Kind::CUDA)) GTEST_SKIP() << "no CUDA backend in this build (-DAIME_CUDA=ON)"; \
    if (!cuda_is_available()) GTEST_SKIP() << "CUDA backend built, but no GPU on this machine";             \
  } while (0)

const Device kGpu = Device::cuda();

// |a - b| <= rtol (1 + |b|) elementwise, with the worst element in the message.
void expect_close(const Tensor& got, const Tensor& want, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  double worst = 0.0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double err = std::fabs(g[i] - w[i]) / (1.0 + std::fabs(w[i]));
    if (!(err <= worst)) {  // NaN counts as worst
      worst = err;
      at = i;
    }
  }
  EXPECT_LE(worst, rtol) << what << ": element " << at << " is " << (g.empty() ? 0.0 : g[at]) << ", CPU says "
                         << (w.empty() ? 0.0 : w[at]);
}

std::string case_name(const testing::TestParamInfo<std::size_t>& info) {
  std::string s = op_cases()[info.param].op + "_" + std::to_string(info.param);
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

class CudaParity : public testing::TestWithParam<std::size_t> {};

TEST_P(CudaParity, ForwardAndBackwardMatchTheCpu) {
  REQUIRE_GPU();
  const OpCase& c = op_cases()[GetParam()];
  SCOPED_TRACE(c.op + " (" + c.variant + ")");
  Generator gen(11 + GetParam());
  std::vector<Tensor> cpu_in = c.make_inputs(gen, kFloat32), gpu_in;
  for (auto& x : cpu_in) {
    if (x.is_floating_point()) {
      ASSERT_GT(sum(abs(x)).item(), 0.0) << "parity inputs must not be all zeros";
    }
    if (x.is_floating_point() && c.differentiable) x.requires_grad_();
    Tensor g = x.detach().to(kGpu);
    if (x.requires_grad()) g.requires_grad_();
    gpu_in.push_back(g);
  }
  const Tensor yc = c.fn(cpu_in), yg = c.fn(gpu_in);
  ASSERT_EQ(yg.device(), kGpu) << "the op's output left the GPU";
  ASSERT_EQ(yg.dtype(), yc.dtype());
  expect_close(yg, yc, c.parity_rtol, "forward");
  if (!c.differentiable) return;
  const Tensor w = randn(yc.shape(), gen, kFloat32);
  sum(yc * w).backward();
  sum(yg * w.to(kGpu)).backward();
  for (std::size_t k = 0; k < cpu_in.size(); ++k) {
    if (!cpu_in[k].requires_grad()) continue;
    ASSERT_TRUE(gpu_in[k].grad().defined()) << "input " << k << " got no gradient on the GPU";
    EXPECT_EQ(gpu_in[k].grad().device(), kGpu);
    expect_close(gpu_in[k].grad(), cpu_in[k].grad(), c.parity_rtol, "gradient of input " + std::to_string(k));
  }
}

std::vector<std::size_t> all_cases() {
  std::vector<std::size_t> idx(op_cases().size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  return idx;
}
INSTANTIATE_TEST_SUITE_P(AllOps, CudaParity, testing::ValuesIn(all_cases()), case_name);

// ---- without a GPU ----

TEST(CudaBackend, WithoutAGpuATensorOnCudaIsAClearErrorNotACrash) {
  if (!has_backend(Device::Kind::CUDA)) GTEST_SKIP() << "no CUDA backend in this build";
  if (cuda_is_available()) GTEST_SKIP() << "this machine has a GPU";
  EXPECT_EQ(backend_for(kGpu).device_count(), 0);
  try {
    zeros({2}).to(kGpu);
    FAIL() << "expected a DeviceError";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
  }
}

TEST(CudaBackend, TheTf32SwitchIsOffByDefaultAndToggles) {
  EXPECT_FALSE(allow_tf32());
  set_allow_tf32(true);
  EXPECT_TRUE(allow_tf32());
  set_allow_tf32(false);
  EXPECT_FALSE(allow_tf32());
}

// ---- with a GPU ----

TEST(CudaBackend, CopiesEveryDtypeBothWaysAndStridedViews) {
  REQUIRE_GPU();
  Generator gen(1);
  const Tensor x = randn({3, 5, 7}, gen, kFloat64);
  for (DType t : {kFloat32, kFloat64, kUInt8, kInt64}) {
    const Tensor h = (t == kUInt8 ? abs(x) * 10.0 : x * 10.0).to(t);
    const Tensor g = h.to(kGpu);
    EXPECT_EQ(g.device(), kGpu);
    EXPECT_EQ(g.cpu().to_vector<double>(), h.to_vector<double>()) << dtype_name(t);
    // A permuted (non-contiguous) view copied on the device, and a dtype cast there.
    EXPECT_EQ(g.permute({2, 0, 1}).contiguous().cpu().to_vector<double>(),
              h.permute({2, 0, 1}).contiguous().to_vector<double>());
    EXPECT_EQ(g.to(kFloat64).cpu().to_vector<double>(), h.to(kFloat64).to_vector<double>());
  }
  EXPECT_THROW(zeros({2}).to(kGpu).data<float>(), DeviceError);
}

TEST(CudaBackend, LargeMatmulsMatchTheCpu) {
  REQUIRE_GPU();
  Generator gen(2);
  for (auto [m, k, n] : std::vector<std::array<std::int64_t, 3>>{{129, 257, 65}, {1, 1000, 1}, {500, 3, 700}}) {
    const Tensor a = randn({m, k}, gen), b = randn({k, n}, gen);
    expect_close(matmul(a.to(kGpu), b.to(kGpu)), matmul(a, b), 1e-4, "matmul");
    expect_close(matmul(a.t().contiguous().to(kGpu).t(), b.to(kGpu)), matmul(a, b), 1e-4, "matmul of a transposed view");
  }
  const Tensor a = randn({4, 33, 17}, gen), b = randn({17, 9}, gen);
  expect_close(matmul(a.to(kGpu), b.to(kGpu)), matmul(a, b), 1e-4, "batched with a shared right side");
  const Tensor d = randn({64, 32}, gen, kFloat64), e = randn({32, 16}, gen, kFloat64);
  expect_close(matmul(d.to(kGpu), e.to(kGpu)), matmul(d, e), 1e-12, "float64");
}

TEST(CudaBackend, ConvolutionsOfTheWorldModelsShapesMatchTheCpu) {
  REQUIRE_GPU();
  Generator gen(3);
  // The visual encoder's first layer (64x64x3, 4x4 kernel, stride 2) and a padded 3x3 one.
  struct Case { Shape x, w; std::int64_t stride, pad; };
  for (const Case& c : {Case{{6, 3, 64, 64}, {32, 3, 4, 4}, 2, 0}, Case{{5, 4, 9, 7}, {6, 4, 3, 3}, 1, 1},
                        Case{{2, 2, 8, 8}, {3, 2, 5, 3}, 3, 2}}) {
    Tensor x = randn(c.x, gen).requires_grad_(), w = randn(c.w, gen).requires_grad_();
    Tensor xg = x.detach().to(kGpu).requires_grad_(), wg = w.detach().to(kGpu).requires_grad_();
    const Tensor y = conv2d(x, w, Tensor(), c.stride, c.pad), yg = conv2d(xg, wg, Tensor(), c.stride, c.pad);
    expect_close(yg, y, 1e-4, "conv2d forward " + shape_str(c.x));
    const Tensor gy = randn(y.shape(), gen);
    sum(y * gy).backward();
    sum(yg * gy.to(kGpu)).backward();
    expect_close(xg.grad(), x.grad(), 1e-4, "conv2d input gradient");
    expect_close(wg.grad(), w.grad(), 1e-4, "conv2d weight gradient");
  }
}

TEST(CudaBackend, ReductionsOfLongAndManyRowsMatchTheCpu) {
  REQUIRE_GPU();
  Generator gen(4);
  for (Shape s : {Shape{3, 100000}, Shape{5000, 7}, Shape{1, 1}, Shape{2, 257}}) {
    const Tensor x = randn(s, gen), xg = x.to(kGpu);
    expect_close(sum(xg, {1}), sum(x, {1}), 1e-5, "sum " + shape_str(s));
    expect_close(max(xg, {1}), max(x, {1}), 0.0, "max " + shape_str(s));
    EXPECT_EQ(argmax(xg, 1).cpu().to_vector<std::int64_t>(), argmax(x, 1).to_vector<std::int64_t>());
    expect_close(sum(xg, {0}), sum(x, {0}), 1e-5, "sum over dim 0 " + shape_str(s));
  }
  // Ties go to the first maximum, NaN wins, as on the CPU.
  const Tensor t = tensor({1, 3, 3, 0, NAN, 2, NAN, 5}, {2, 4});
  EXPECT_EQ(argmax(t.to(kGpu), 1).cpu().to_vector<std::int64_t>(), argmax(t, 1).to_vector<std::int64_t>());
}

TEST(CudaBackend, IndexOpsSumDuplicatesAndReportBadIndicesAtTheNextSync) {
  REQUIRE_GPU();
  Generator gen(5);
  const Tensor x = randn({6, 4}, gen).requires_grad_();
  const Tensor xg = x.detach().to(kGpu).requires_grad_();
  const Tensor idx = tensor({0, 5, 5, 2, 0, 0}, {6}, kInt64);
  const Tensor y = index_select(x, 0, idx), yg = index_select(xg, 0, idx.to(kGpu));
  expect_close(yg, y, 0.0, "index_select");
  const Tensor w = randn(y.shape(), gen);
  sum(y * w).backward();
  sum(yg * w.to(kGpu)).backward();
  expect_close(xg.grad(), x.grad(), 1e-6, "index_add (the gradient, duplicates summed)");
  // Out of range: found by the kernel, raised (ValueError naming the op) at the next sync.
  const Tensor bad = tensor({1, 9}, {2}, kInt64).to(kGpu);
  try {
    index_select(xg.detach(), 0, bad).cpu();
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("index_select"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("9"), std::string::npos) << e.what();
  }
  // The error word is cleared: the device keeps working.
  EXPECT_NO_THROW(synchronize(kGpu));
  expect_close(one_hot(idx.to(kGpu), 6), one_hot(idx, 6), 0.0, "one_hot");
}

TEST(CudaBackend, ATrainingLoopReachesASteadyStateWithNoCudaMalloc) {
  REQUIRE_GPU();
  Generator gen(6);
  nn::MLPOptions o;
  o.in_features = 16;
  o.out_features = 4;
  o.hidden_size = 64;
  o.hidden_layers = 2;
  nn::MLP net(o, gen);
  net.to(kGpu);
  nn::Adam adam(net.parameters());
  const Tensor x = randn({32, 16}, gen).to(kGpu), y = randn({32, 4}, gen).to(kGpu);
  auto step = [&] {
    adam.zero_grad();
    const Tensor loss = mean(square(net(x) - y));
    loss.backward();
    nn::clip_grad_norm_(net.parameters(), 100.0);
    adam.step();
    return loss.item();
  };
  const double first = step();
  step();
  const MemoryStats warm = memory_stats(kGpu);
  double last = 0.0;
  for (int i = 0; i < 50; ++i) last = step();
  const MemoryStats after = memory_stats(kGpu);
  EXPECT_EQ(after.num_allocs, warm.num_allocs) << "cudaMalloc was called in the steady state";
  EXPECT_EQ(after.num_frees, warm.num_frees);
  EXPECT_LE(after.allocated_bytes, after.reserved_bytes);
  EXPECT_GE(after.peak_bytes, after.allocated_bytes);
  EXPECT_GT(after.allocated_bytes, 0);
  EXPECT_LT(last, first) << "the network did not learn on the GPU";
  // empty_cache hands cached blocks back; live tensors keep theirs.
  empty_cache(kGpu);
  const MemoryStats emptied = memory_stats(kGpu);
  EXPECT_EQ(emptied.allocated_bytes, after.allocated_bytes);
  EXPECT_LE(emptied.reserved_bytes, after.reserved_bytes);
}

TEST(CudaBackend, AdamOnTheGpuMatchesTheCpu) {
  REQUIRE_GPU();
  Generator gen(7);
  for (bool amsgrad : {false, true}) {
    Tensor pc = randn({1000}, gen), gc = randn({1000}, gen);
    Tensor mc = zeros({1000}), vc = zeros({1000}), vmc = zeros({1000});
    Tensor pg = pc.to(kGpu), gg = gc.to(kGpu), mg = mc.to(kGpu), vg = vc.to(kGpu), vmg = vmc.to(kGpu);
    AdamStepParams p;
    p.amsgrad = amsgrad;
    p.weight_decay = 0.01;
    for (int t = 1; t <= 3; ++t) {
      p.step = t;
      backend_for(Device::cpu()).adam_step(p, pc, gc, mc, vc, amsgrad ? vmc : Tensor());
      backend_for(kGpu).adam_step(p, pg, gg, mg, vg, amsgrad ? vmg : Tensor());
    }
    expect_close(pg, pc, 1e-6, "adam parameters");
    expect_close(vg, vc, 1e-6, "adam second moment");
  }
}

TEST(CudaBackend, Tf32KeepsMatmulWithinItsLooserTolerance) {
  REQUIRE_GPU();
  Generator gen(8);
  const Tensor a = randn({256, 256}, gen), b = randn({256, 256}, gen);
  set_allow_tf32(true);
  const Tensor y = matmul(a.to(kGpu), b.to(kGpu)).cpu();
  set_allow_tf32(false);
  // TF32 rounds inputs to a 10-bit mantissa: ~1e-3 relative, summed over k = 256.
  expect_close(y, matmul(a, b), 5e-2, "matmul with TF32");
}

}  // namespace
}  // namespace aime
