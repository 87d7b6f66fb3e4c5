// The op-test harness (after ggml's test-backend-ops): every public op (AIME_OP in
// autograd/ops/*.h) is registered here once, with the inputs it takes and a call that must
// fail. The harness runs each entry in every mode:
//   - gradient check in float64 against central differences (differentiable ops),
//   - value/determinism checks and the shape-error check,
//   - CPU vs CUDA parity, forward and backward, when a CUDA backend and a GPU are present,
//   - timing (benchmarks/op_bench).
// Adding an op is adding an entry; an AIME_OP without an entry fails
// tests/autograd/op_harness_test.cpp.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/generator.h"
#include "autograd/tensor.h"

namespace aime {

struct OpCase {
  std::string op;       // the AIME_OP name, e.g. "add"
  std::string variant;  // what this case covers, e.g. "broadcast [3, 1] with [4]"
  // Valid random inputs (never all zeros) of a floating dtype; integer inputs keep theirs.
  std::function<std::vector<Tensor>(Generator&, DType)> make_inputs;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  bool differentiable = true;
  double atol = 1e-6, rtol = 1e-4;  // gradient-check tolerances
  double eps = 1e-6;                // central-difference step
  // CUDA vs CPU parity in float32: |cuda - cpu| <= parity_rtol * (1 + |cpu|). 1e-5 for
  // elementwise work; 1e-4 where a GEMM (matmul, linear, conv) sums in another order.
  double parity_rtol = 1e-5;
};

// A call with bad arguments: must throw an aime::Error whose message contains every
// string in `mentions` (the op's name and the offending shapes or dtype).
struct OpErrorCase {
  std::string op;
  std::function<void()> call;
  std::vector<std::string> mentions;
};

const std::vector<OpCase>& op_cases();
const std::vector<OpErrorCase>& op_error_cases();

}  // namespace aime
