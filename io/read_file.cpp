#include "io/read_file.h"

#include "io/random_access_file.h"

namespace aime::io {

// Through RandomAccessFile, so a directory or a device named like a dataset file is refused
// by name instead of being read as a giant or empty string.
std::string read_file_bytes(const std::string& path) {
  const RandomAccessFile file(path);
  return file.read_at(0, file.size());
}

}  // namespace aime::io
