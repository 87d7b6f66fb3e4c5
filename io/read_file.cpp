#include "io/read_file.h"

#include <fstream>

#include "autograd/error.h"

namespace aime::io {

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open for reading");
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(path + ": cannot read (not a regular file?)");
  in.seekg(0);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (size > 0 && !in.read(bytes.data(), size)) throw Error(path + ": read failed");
  return bytes;
}

}  // namespace aime::io
