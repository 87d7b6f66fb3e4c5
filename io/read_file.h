// A whole file's bytes, with errors that name the path (missing, a directory, a short read).
// Shared by every loader that parses from memory: .npz/.npy, safetensors, PyTorch .pt.
#pragma once
#include <string>

namespace aime::io {

std::string read_file_bytes(const std::string& path);

}  // namespace aime::io
