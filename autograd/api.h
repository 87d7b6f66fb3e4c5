// Everything a user of aime's tensor library needs: #include "autograd/api.h".
#pragma once
#include "autograd/autograd.h"
#include "autograd/backend.h"
#include "autograd/generator.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/creation.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/index.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/shape_ops.h"
#include "autograd/parallel.h"
#include "autograd/tensor.h"
