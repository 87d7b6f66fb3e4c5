// AIME_OP marks the declaration of every public, differentiable-or-not tensor op. It
// expands to nothing; tests/autograd/op_harness_test.cpp reads the headers for it and
// fails if an op has no entry in the op-test harness (autograd/testing/op_cases.cpp).
#pragma once
#define AIME_OP
