// NumPy .npz archives: a zip of `<key>.npy` entries, as np.savez (stored) and
// np.savez_compressed (deflate) write them.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "data/npy.h"
#include "io/read_file.h"
#include "io/zip.h"

namespace aime::data {

// The container is io/zip.h's; npz callers name its compression as data::Compression.
using io::Compression;
using io::ZipReader;
using io::ZipWriter;

using NpzArrays = std::vector<std::pair<std::string, NpyArray>>;  // key (no ".npy") -> array, in file order

// Errors name the file and the entry.
NpzArrays read_npz(const std::string& path);
NpzArrays parse_npz(std::string bytes, const std::string& source);
// Atomic (temporary file, then rename). Stored entries by default, as np.savez.
void write_npz(const std::string& path, const NpzArrays& arrays, Compression compression = Compression::Stored);
std::string serialize_npz(const NpzArrays& arrays, Compression compression = Compression::Stored);

// The whole file (Error naming it when it cannot be read); the loaders' shared reader.
using io::read_file_bytes;

}  // namespace aime::data
