// The NumPy .npy format (NEP 1, numpy.lib.format): one array per file, or per entry of an
// .npz archive.
//   "\x93NUMPY" major minor | header length (uint16 LE in v1.0, uint32 LE in v2.0/3.0) |
//   header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   padded with spaces and a final '\n' so the data starts on a 64-byte boundary | raw data
//
// Reading maps NumPy dtypes onto aime's: f4 -> float32, f8 -> float64, f2 -> float32,
// u1 -> uint8, b1 (bool) -> uint8 with `boolean` set, signed ints and u2/u4 -> int64; either
// byte order; C or Fortran order (returned C-contiguous). Anything else (complex, strings,
// objects, structured dtypes) fails with an error naming the source and the dtype.
// Writing uses v1.0 (v2.0 when the header would not fit), C order, little-endian.
#pragma once
#include <string>

#include "autograd/tensor.h"

namespace aime::data {

struct NpyArray {
  Tensor data;           // CPU, contiguous
  bool boolean = false;  // NumPy bool ('|b1'): data is uint8 0/1, written back as bool
};

// A .npy header: what the bytes after it hold.
struct NpyHeader {
  std::string descr;          // NumPy's, e.g. '<f4'
  Shape shape;                // as the header states it
  bool fortran = false;
  DType dtype = kFloat32;     // what aime holds (see above)
  bool boolean = false;
  std::size_t item_size = 0;  // bytes per element in the file
  std::uint64_t numel = 0;
  std::uint64_t data_offset = 0;  // bytes before the data
  std::uint64_t data_bytes() const { return numel * item_size; }
};

// From the first 12 bytes (or all of a shorter array): the bytes up to the data, i.e. the
// prefix parse_npy_header needs (at most 1 MiB of header is accepted).
std::uint64_t npy_header_size(const std::string& first, const std::string& source);
// The header, from at least npy_header_size bytes; nothing is allocated from its sizes.
NpyHeader parse_npy_header(const std::string& bytes, const std::string& source);
// The first `rows` entries of the leading axis, from their file bytes (rows * the per-row
// bytes): C order only for a part; a Fortran-order array is decoded whole.
Tensor decode_npy_rows(const NpyHeader& header, const char* bytes, std::int64_t rows, const std::string& source);

// `source` names the bytes in errors ("3.npz: image.npy").
NpyArray parse_npy(const std::string& bytes, const std::string& source);
std::string serialize_npy(const NpyArray& array);

// The NumPy descr aime writes for an array: '<f4', '<f8', '|u1', '|b1', '<i8'.
std::string npy_descr(const NpyArray& array);

}  // namespace aime::data
