// The op-test harness in timing mode: every registered op case (autograd/testing/op_cases)
// is timed forward, and forward+backward, in float32 on the harness's own small inputs.
// At these sizes the arithmetic is negligible, so the numbers measure per-op overhead:
// dispatch, allocation, graph recording and the backward pass's bookkeeping.
//   op_bench [--benchmark_filter=conv]
#include <benchmark/benchmark.h>

#include "autograd/api.h"
#include "autograd/testing/op_cases.h"

using namespace aime;

int main(int argc, char** argv) {
  for (const OpCase& c : op_cases()) {
    const std::string name = c.op + " [" + c.variant + "]";
    benchmark::RegisterBenchmark((name + " forward").c_str(), [&c](benchmark::State& state) {
      Generator g(0);
      const std::vector<Tensor> in = c.make_inputs(g, kFloat32);
      NoGradGuard no_grad;
      for (auto _ : state) benchmark::DoNotOptimize(c.fn(in).data_ptr());
    })->Unit(benchmark::kMicrosecond);
    if (!c.differentiable) continue;
    benchmark::RegisterBenchmark((name + " forward+backward").c_str(), [&c](benchmark::State& state) {
      Generator g(0);
      std::vector<Tensor> in = c.make_inputs(g, kFloat32);
      for (auto& x : in)
        if (x.is_floating_point()) x.requires_grad_();
      for (auto _ : state) {
        sum(c.fn(in)).backward();
        for (auto& x : in)
          if (x.requires_grad()) x.set_grad(Tensor());
      }
    })->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
