#include "io/random_access_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "autograd/error.h"

namespace aime::io {

RandomAccessFile::RandomAccessFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(path_ + ": cannot open for reading (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw Error(path_ + ": not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
}

RandomAccessFile::~RandomAccessFile() {
  if (fd_ >= 0) ::close(fd_);
}

void RandomAccessFile::read_at(std::uint64_t offset, std::uint64_t n, char* dst) const {
  if (offset > size_ || n > size_ - offset)
    throw Error(path_ + ": read of [" + std::to_string(offset) + ", +" + std::to_string(n) + ") past the end of the " +
                std::to_string(size_) + "-byte file");
  while (n > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, std::uint64_t(1) << 30));
    const ssize_t got = ::pread(fd_, dst, want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(path_ + ": read failed (" + std::strerror(errno) + ")");
    if (got == 0) throw Error(path_ + ": the file ended at byte " + std::to_string(offset) + " (it shrank while read?)");
    dst += got;
    offset += static_cast<std::uint64_t>(got);
    n -= static_cast<std::uint64_t>(got);
  }
}

std::string RandomAccessFile::read_at(std::uint64_t offset, std::uint64_t n) const {
  if (offset > size_ || n > size_ - offset)
    throw Error(path_ + ": read of [" + std::to_string(offset) + ", +" + std::to_string(n) + ") past the end of the " +
                std::to_string(size_) + "-byte file");
  std::string out(static_cast<std::size_t>(n), '\0');
  read_at(offset, n, out.data());
  return out;
}

}  // namespace aime::io
