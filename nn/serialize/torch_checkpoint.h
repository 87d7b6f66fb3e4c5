// PyTorch checkpoints (`torch.save(module.state_dict(), "model.pt")`, torch >= 1.6), read and
// written without Python (the layout: docs/pytorch-format.md):
//
//   <stem>/data.pkl      the pickle of an OrderedDict name -> tensor (nn/serialize/pickle.h)
//   <stem>/data/<key>    one raw little-endian storage per key; tensors are views of them
//   <stem>/version       "3"; newer writers add <stem>/byteorder ("little") and
//                        <stem>/.data/serialization_id
//
// Reading accepts any storage location (a model saved on "cuda:0" loads on the CPU, as
// map_location="cpu"), converts float16 / bfloat16 / float32 / float64 storages to
// `float_dtype` (integer storages to int64, bool and uint8 to uint8), copies views out of
// shared storages, and checks before allocating: each storage's bytes against its stated
// size, each view's extent (sizes and strides non-negative, no overflow) against its
// storage, and no tensor larger than its storage (a zero stride cannot blow a small file up
// into a giant allocation). The legacy pre-1.6 format and TorchScript archives are refused
// with a message that says so.
//
// Writing produces the layout torch 2.x writes (stem "archive", entries aligned to 64
// bytes, byteorder, version 3), one contiguous storage per tensor, so that the original
// code loads it with torch.load + load_state_dict(strict=True). Atomic.
#pragma once
#include <string>

#include "autograd/dtype.h"
#include "nn/state_dict.h"

namespace aime::nn {

StateDict load_torch_checkpoint(const std::string& path, DType float_dtype = kFloat32);
// The same from bytes in memory; `source` names them in errors.
StateDict parse_torch_checkpoint(const std::string& bytes, const std::string& source, DType float_dtype = kFloat32);

struct TorchSaveOptions {
  std::string stem = "archive";  // torch 1.13 used the file name without ".pt"
  std::string location = "cpu";  // what each storage's persistent id says
};
void save_torch_checkpoint(const std::string& path, const StateDict& tensors, const TorchSaveOptions& options = {});
std::string serialize_torch_checkpoint(const StateDict& tensors, const TorchSaveOptions& options = {});

// True when the bytes start like a zip archive or a legacy torch pickle (a cheap sniff).
bool looks_like_torch_checkpoint(const std::string& path);

}  // namespace aime::nn
