// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), so
// that weights move to and from PyTorch, JAX and the rest of the Python ecosystem:
//
//   [8 bytes]  N, the header length, unsigned little-endian
//   [N bytes]  JSON: {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
//                     "__metadata__": {"<key>": "<string value>", ...}}   (optional)
//   [rest]     raw little-endian tensor data; tensor bytes are [8 + N + b, 8 + N + e)
//
// Reading validates everything before trusting it: the header length against the file
// size (and at most 100 MB, the reference implementation's limit), the JSON, each dtype,
// shape and offset range (in bounds, matching numel x element size, no overlaps), so a
// truncated or corrupt file fails with an error naming the file, the tensor and the field,
// never with a crash, a hang or an allocation larger than the file.
// F32, F64, I64, U8 and BOOL load as themselves (BOOL as uint8); F16 and BF16 load as
// float32. Other dtypes are listed by read_safetensors_header but refused by load.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/device.h"
#include "nn/state_dict.h"

namespace aime::nn {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as in the file: "F32", "BF16", ...
  Shape shape;
  std::uint64_t begin = 0, end = 0;  // byte range within the data section
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in header order
  Metadata metadata;
  std::uint64_t header_size = 0;  // N
  std::uint64_t data_size = 0;    // bytes after the header
};

struct SafetensorsFile {
  StateDict tensors;
  Metadata metadata;
};

// Writes tensors (any device and strides; copied to contiguous host memory) in insertion
// order, atomically. Names must be unique and non-empty; "__metadata__" is reserved.
void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata = {});
std::string serialize_safetensors(const StateDict& tensors, const Metadata& metadata = {});

// Reads a whole file; tensors end up on `device`.
SafetensorsFile load_safetensors(const std::string& path, Device device = Device::cpu());
// The same from bytes in memory; `source` names them in errors.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source = "<memory>",
                                  Device device = Device::cpu());
// Only the header (validated against the file size), without reading tensor data.
SafetensorsHeader read_safetensors_header(const std::string& path);

}  // namespace aime::nn
