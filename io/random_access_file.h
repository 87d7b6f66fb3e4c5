// A read-only file read at any offset (POSIX pread): the lazy readers' source, so that an
// archive's directory, a header or a range of rows can be read without the rest of the file.
// Safe to share between threads (pread has no file position).
#pragma once
#include <cstdint>
#include <string>

namespace aime::io {

class RandomAccessFile {
 public:
  // Error naming the path when it cannot be opened or is not a regular file.
  explicit RandomAccessFile(std::string path);
  ~RandomAccessFile();
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  // Exactly n bytes from `offset` into dst; Error when they lie past the end (the file shrank)
  // or the read fails.
  void read_at(std::uint64_t offset, std::uint64_t n, char* dst) const;
  std::string read_at(std::uint64_t offset, std::uint64_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace aime::io
