// The ZIP container of .npz files and PyTorch checkpoints (PKWARE APPNOTE 6.3): what NumPy's savez (stored entries)
// and savez_compressed (deflate) write through Python's zipfile, including ZIP64 records
// (NumPy forces ZIP64 local headers). Reading trusts nothing: every offset and size is
// checked against the archive, deflate output grows only as data actually decompresses
// (a corrupt size cannot trigger a giant allocation), and CRC-32 is verified.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace aime::io {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflate
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint64_t local_header_offset = 0;
};

class RandomAccessFile;

class ZipReader {
 public:
  // `bytes` is the whole archive; `source` names it in errors.
  ZipReader(std::string bytes, std::string source);
  // The archive in a file, read lazily: only the end record and the central directory are
  // read here; entries are read on request (the file's path names it in errors).
  explicit ZipReader(std::shared_ptr<const RandomAccessFile> file);
  // The same file reopened with the entries an earlier reader of it parsed (no second read
  // of the directory); reads still check every offset against the file.
  ZipReader(std::shared_ptr<const RandomAccessFile> file, std::vector<ZipEntry> entries);
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const std::string& source() const { return source_; }
  // The entry's uncompressed bytes (ValueError on corruption or an unsupported method).
  std::string read(const ZipEntry& entry) const;
  // At most the first n uncompressed bytes, decompressing no more than that (a header).
  std::string read_prefix(const ZipEntry& entry, std::uint64_t n) const;
  // Streams the uncompressed bytes in chunks of at most 1 MiB to `sink` (memory stays bounded
  // whatever the entry's size); the size and CRC-32 are checked at the end.
  void stream(const ZipEntry& entry, const std::function<void(const char*, std::size_t)>& sink) const;
  // A stored entry's bytes [offset, offset + n) into dst, without reading the rest (no CRC:
  // the caller reads part of the entry). ValueError for a compressed entry or a range past it.
  void read_stored_range(const ZipEntry& entry, std::uint64_t offset, std::uint64_t n, char* dst) const;

 private:
  void parse_directory();
  std::uint64_t size() const;
  std::string fetch(std::uint64_t offset, std::uint64_t n, const std::string& where, const char* what) const;
  std::uint64_t data_start(const ZipEntry& entry) const;
  // Inflates or copies the entry, handing chunks to sink until it returns false.
  void decode(const ZipEntry& entry, std::uint64_t limit, const std::function<bool(const char*, std::size_t)>& sink) const;

  std::string bytes_;                              // in memory, or
  std::shared_ptr<const RandomAccessFile> file_;   // on disk
  std::string source_;
  std::vector<ZipEntry> entries_;
};

enum class Compression { Stored, Deflate };

// Writes an archive entry by entry, then the central directory on finish(); ZIP64 records
// appear where sizes or offsets need them, or everywhere with force_zip64 (as Python's
// zipfile can). Timestamps are fixed (1980-01-01), so the same content gives the same bytes.
class ZipWriter {
 public:
  explicit ZipWriter(std::ostream& out, bool force_zip64 = false) : out_(out), force_zip64_(force_zip64) {}
  // align > 1 pads the local header's extra field so that the entry's data starts at a
  // multiple of `align` bytes in the archive (PyTorch's checkpoints align to 64).
  void add(const std::string& name, const std::string& data, Compression compression = Compression::Stored,
           std::uint64_t align = 0);
  void finish();

 private:
  std::ostream& out_;
  bool force_zip64_;
  std::uint64_t offset_ = 0;
  std::vector<ZipEntry> entries_;
  bool finished_ = false;
};

}  // namespace aime::io
