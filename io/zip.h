// The ZIP container of .npz files and PyTorch checkpoints (PKWARE APPNOTE 6.3): what NumPy's savez (stored entries)
// and savez_compressed (deflate) write through Python's zipfile, including ZIP64 records
// (NumPy forces ZIP64 local headers). Reading trusts nothing: every offset and size is
// checked against the archive, deflate output grows only as data actually decompresses
// (a corrupt size cannot trigger a giant allocation), and CRC-32 is verified.
#pragma once
#include <cstdint>
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

class ZipReader {
 public:
  // `bytes` is the whole archive; `source` names it in errors.
  ZipReader(std::string bytes, std::string source);
  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The entry's uncompressed bytes (ValueError on corruption or an unsupported method).
  std::string read(const ZipEntry& entry) const;

 private:
  std::string bytes_;
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
