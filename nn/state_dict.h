// StateDict: a module's named tensors in registration order, what Module::state_dict()
// returns and what a safetensors file holds (PyTorch's OrderedDict[str, Tensor]): the
// library's one container of named tensors (autograd/tensor_dict.h).
#pragma once
#include <map>
#include <string>

#include "autograd/tensor_dict.h"

namespace aime::nn {

using StateDict = TensorDict;

// String key-value pairs stored next to tensors (safetensors' __metadata__).
using Metadata = std::map<std::string, std::string>;

}  // namespace aime::nn
