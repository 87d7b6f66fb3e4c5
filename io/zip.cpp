#include "io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "autograd/error.h"
#include "io/random_access_file.h"

namespace aime::io {

namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfCentralDir = 0x06054b50;
constexpr std::uint32_t kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr std::uint32_t k32 = 0xFFFFFFFFu;
// A central directory larger than this is refused before it is read: an npz of a few keys
// has a few hundred bytes of it; a lying size must not become a giant allocation.
constexpr std::uint64_t kMaxCentralDirectory = std::uint64_t(64) << 20;
constexpr std::size_t kChunk = std::size_t(1) << 20;

// Little-endian fields of `b`, which holds the archive's bytes [base, base + b.size()).
class Cursor {
 public:
  Cursor(const std::string& bytes, std::uint64_t base, std::uint64_t pos, const std::string& source, const char* what)
      : b_(bytes), base_(base), pos_(pos), source_(source), what_(what) {}
  void need(std::uint64_t n) const {
    if (pos_ < base_ || pos_ - base_ > b_.size() || n > b_.size() - (pos_ - base_))
      throw ValueError(source_ + ": truncated zip " + what_ + " at byte " + std::to_string(pos_));
  }
  std::uint64_t u(int n) {
    need(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    const std::uint64_t at = pos_ - base_;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b_[at + static_cast<std::uint64_t>(i)]);
    pos_ += static_cast<std::uint64_t>(n);
    return v;
  }
  std::string str(std::uint64_t n) {
    need(n);
    std::string s = b_.substr(pos_ - base_, n);
    pos_ += n;
    return s;
  }
  void skip(std::uint64_t n) {
    need(n);
    pos_ += n;
  }
  std::uint64_t pos() const { return pos_; }

 private:
  const std::string& b_;
  std::uint64_t base_, pos_;
  const std::string& source_;
  const char* what_;
};

}  // namespace

ZipReader::ZipReader(std::string bytes, std::string source) : bytes_(std::move(bytes)), source_(std::move(source)) {
  parse_directory();
}

ZipReader::ZipReader(std::shared_ptr<const RandomAccessFile> file) : file_(std::move(file)), source_(file_->path()) {
  parse_directory();
}

ZipReader::ZipReader(std::shared_ptr<const RandomAccessFile> file, std::vector<ZipEntry> entries)
    : file_(std::move(file)), source_(file_->path()), entries_(std::move(entries)) {}

std::uint64_t ZipReader::size() const { return file_ ? file_->size() : bytes_.size(); }

std::string ZipReader::fetch(std::uint64_t offset, std::uint64_t n, const std::string& where, const char* what) const {
  if (offset > size() || n > size() - offset)
    throw ValueError(where + ": truncated zip " + what + ": [" + std::to_string(offset) + ", +" + std::to_string(n) +
                     ") runs past the end of the " + std::to_string(size()) + "-byte archive");
  return file_ ? file_->read_at(offset, n) : bytes_.substr(offset, n);
}

void ZipReader::parse_directory() {
  const std::uint64_t total = size();
  if (total < 22) throw ValueError(source_ + ": not a zip archive (" + std::to_string(total) + " bytes)");
  // The end-of-central-directory record: the last signature within the final 64 KiB + 22 bytes.
  const std::uint64_t lowest = total > 22 + 65535 ? total - 22 - 65535 : 0;
  const std::string tail = fetch(lowest, total - lowest, source_, "end record");
  std::uint64_t eocd = std::numeric_limits<std::uint64_t>::max();
  for (std::uint64_t p = total - 22 + 1; p-- > lowest;)
    if (Cursor(tail, lowest, p, source_, "end record").u(4) == kEndOfCentralDir) {
      eocd = p;
      break;
    }
  if (eocd == std::numeric_limits<std::uint64_t>::max())
    throw ValueError(source_ + ": not a zip archive (no end-of-central-directory record; truncated?)");
  Cursor end(tail, lowest, eocd + 4, source_, "end record");
  end.skip(4);  // disk numbers
  std::uint64_t count = end.u(2);
  end.skip(2);
  std::uint64_t cd_size = end.u(4), cd_offset = end.u(4);
  if (count == 0xFFFF || cd_size == k32 || cd_offset == k32) {
    if (eocd < 20) throw ValueError(source_ + ": ZIP64 end-of-central-directory locator missing");
    const std::string loc_bytes = fetch(eocd - 20, 20, source_, "ZIP64 locator");
    Cursor loc(loc_bytes, eocd - 20, eocd - 20, source_, "ZIP64 locator");
    if (loc.u(4) != kZip64Locator) throw ValueError(source_ + ": ZIP64 end-of-central-directory locator missing");
    loc.skip(4);
    const std::uint64_t z64 = loc.u(8);
    const std::string rec_bytes = fetch(z64, 56, source_, "ZIP64 end record");
    Cursor rec(rec_bytes, z64, z64, source_, "ZIP64 end record");
    if (rec.u(4) != kZip64End) throw ValueError(source_ + ": bad ZIP64 end-of-central-directory record");
    rec.skip(8 + 2 + 2 + 4 + 4 + 8);
    count = rec.u(8);
    cd_size = rec.u(8);
    cd_offset = rec.u(8);
  }
  if (cd_offset > total || cd_size > total - cd_offset)
    throw ValueError(source_ + ": central directory [" + std::to_string(cd_offset) + ", +" + std::to_string(cd_size) +
                     ") lies outside the " + std::to_string(total) + "-byte archive");
  if (cd_size > kMaxCentralDirectory)
    throw ValueError(source_ + ": central directory of " + std::to_string(cd_size) + " bytes (more than " +
                     std::to_string(kMaxCentralDirectory) + " are not read)");
  if (count > cd_size / 46)
    throw ValueError(source_ + ": central directory claims " + std::to_string(count) + " entries in " +
                     std::to_string(cd_size) + " bytes");
  const std::string dir = fetch(cd_offset, cd_size, source_, "central directory");
  Cursor cd(dir, cd_offset, cd_offset, source_, "central directory");
  for (std::uint64_t i = 0; i < count; ++i) {
    if (cd.u(4) != kCentralHeader)
      throw ValueError(source_ + ": bad central directory entry " + std::to_string(i) + " at byte " +
                       std::to_string(cd.pos() - 4));
    ZipEntry e;
    cd.skip(4);  // versions
    const std::uint64_t flags = cd.u(2);
    e.method = static_cast<std::uint16_t>(cd.u(2));
    cd.skip(4);  // time, date
    e.crc32 = static_cast<std::uint32_t>(cd.u(4));
    e.compressed_size = cd.u(4);
    e.uncompressed_size = cd.u(4);
    const std::uint64_t name_len = cd.u(2), extra_len = cd.u(2), comment_len = cd.u(2);
    const std::uint64_t disk = cd.u(2);
    cd.skip(2 + 4);
    e.local_header_offset = cd.u(4);
    e.name = cd.str(name_len);
    // ZIP64 extended information: the 64-bit values of the fields saturated above, in order.
    Cursor extra(dir, cd_offset, cd.pos(), source_, "extra field");
    const std::uint64_t extra_end = cd.pos() + extra_len;
    cd.skip(extra_len);
    while (extra.pos() + 4 <= extra_end) {
      const std::uint64_t id = extra.u(2), size = extra.u(2);
      if (extra.pos() + size > extra_end) throw ValueError(source_ + ": bad extra field of entry " + e.name);
      if (id == 0x0001) {
        Cursor z(dir, cd_offset, extra.pos(), source_, "ZIP64 extra field");
        std::uint64_t left = size;
        auto take = [&](std::uint64_t& field) {
          if (left < 8) throw ValueError(source_ + ": short ZIP64 extra field in entry " + e.name);
          field = z.u(8);
          left -= 8;
        };
        if (e.uncompressed_size == k32) take(e.uncompressed_size);
        if (e.compressed_size == k32) take(e.compressed_size);
        if (e.local_header_offset == k32) take(e.local_header_offset);
      }
      extra.skip(size);
    }
    cd.skip(comment_len);
    if (flags & 1) throw ValueError(source_ + ": entry " + e.name + " is encrypted (not supported)");
    if (disk != 0 && disk != 0xFFFF) throw ValueError(source_ + ": multi-disk archives are not supported");
    entries_.push_back(std::move(e));
  }
}

std::uint64_t ZipReader::data_start(const ZipEntry& e) const {
  const std::string where = source_ + ": " + e.name;
  const std::string header = fetch(e.local_header_offset, 30, where, "local header");
  Cursor local(header, e.local_header_offset, e.local_header_offset, where, "local header");
  if (local.u(4) != kLocalHeader) throw ValueError(where + ": bad local header at byte " + std::to_string(e.local_header_offset));
  local.skip(22);
  const std::uint64_t name_len = local.u(2), extra_len = local.u(2);
  const std::uint64_t start = e.local_header_offset + 30 + name_len + extra_len;
  if (start > size() || e.compressed_size > size() - start)
    throw ValueError(where + ": data [" + std::to_string(start) + ", +" + std::to_string(e.compressed_size) +
                     ") runs past the end of the archive (truncated?)");
  if (e.method == 0 && e.compressed_size != e.uncompressed_size)
    throw ValueError(where + ": stored entry with compressed size " + std::to_string(e.compressed_size) +
                     " != uncompressed size " + std::to_string(e.uncompressed_size));
  if (e.method != 0 && e.method != 8)
    throw ValueError(where + ": compression method " + std::to_string(e.method) + " is not supported (stored or deflate)");
  return start;
}

void ZipReader::decode(const ZipEntry& e, std::uint64_t limit,
                       const std::function<bool(const char*, std::size_t)>& sink) const {
  const std::string where = source_ + ": " + e.name;
  const std::uint64_t start = data_start(e);
  if (e.method == 0) {
    for (std::uint64_t done = 0; done < std::min(limit, e.compressed_size);) {
      const std::uint64_t n = std::min<std::uint64_t>(kChunk, std::min(limit, e.compressed_size) - done);
      const std::string chunk = fetch(start + done, n, where, "data");
      if (!sink(chunk.data(), chunk.size())) return;
      done += n;
    }
    return;
  }
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error(where + ": zlib inflateInit2 failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } guard{&zs};
  std::string in, out(kChunk, '\0');
  std::uint64_t in_done = 0, produced = 0;
  int rc = Z_OK;
  // Output never grows past the declared size (+1 to detect a stream that lies about it).
  while (rc != Z_STREAM_END && produced <= e.uncompressed_size && produced < limit) {
    if (zs.avail_in == 0 && in_done < e.compressed_size) {
      in = fetch(start + in_done, std::min<std::uint64_t>(kChunk, e.compressed_size - in_done), where, "data");
      in_done += in.size();
      zs.next_in = reinterpret_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(in.size());
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR) {  // no progress possible: out of input (output space is never short here)
      if (zs.avail_in == 0 && in_done >= e.compressed_size) throw ValueError(where + ": deflate data ends early (truncated?)");
    } else if (rc != Z_OK && rc != Z_STREAM_END) {
      throw ValueError(where + ": corrupt deflate data (" + (zs.msg ? zs.msg : "zlib error " + std::to_string(rc)) + ")");
    }
    const std::size_t got = out.size() - zs.avail_out;
    produced += got;
    if (got > 0 && !sink(out.data(), got)) return;
    if (rc != Z_STREAM_END && got == 0 && zs.avail_in == 0 && in_done >= e.compressed_size)
      throw ValueError(where + ": deflate data ends early (truncated?)");
  }
  if (produced < limit && produced != e.uncompressed_size)
    throw ValueError(where + ": decompressed to " + (produced > e.uncompressed_size ? "more than " : "") +
                     std::to_string(produced) + " bytes, the directory says " + std::to_string(e.uncompressed_size));
}

std::string ZipReader::read(const ZipEntry& e) const {
  std::string out;
  stream(e, [&](const char* p, std::size_t n) { out.append(p, n); });
  return out;
}

void ZipReader::stream(const ZipEntry& e, const std::function<void(const char*, std::size_t)>& sink) const {
  const std::string where = source_ + ": " + e.name;
  std::uint64_t produced = 0;
  uLong crc = 0;
  decode(e, std::numeric_limits<std::uint64_t>::max(), [&](const char* p, std::size_t n) {
    produced += n;
    if (produced > e.uncompressed_size)
      throw ValueError(where + ": decompressed to more than " + std::to_string(e.uncompressed_size) +
                       " bytes, the directory says " + std::to_string(e.uncompressed_size));
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(p), static_cast<z_size_t>(n));
    sink(p, n);
    return true;
  });
  if (produced != e.uncompressed_size)
    throw ValueError(where + ": decompressed to " + std::to_string(produced) + " bytes, the directory says " +
                     std::to_string(e.uncompressed_size));
  if (static_cast<std::uint32_t>(crc) != e.crc32) throw ValueError(where + ": CRC-32 mismatch (corrupt data)");
}

std::string ZipReader::read_prefix(const ZipEntry& e, std::uint64_t n) const {
  std::string out;
  const std::uint64_t want = std::min(n, e.uncompressed_size);
  decode(e, want, [&](const char* p, std::size_t k) {
    out.append(p, static_cast<std::size_t>(std::min<std::uint64_t>(k, want - out.size())));
    return out.size() < want;
  });
  return out;
}

void ZipReader::read_stored_range(const ZipEntry& e, std::uint64_t offset, std::uint64_t n, char* dst) const {
  const std::string where = source_ + ": " + e.name;
  if (e.method != 0) throw ValueError(where + ": a range can be read from a stored entry only (this one is deflated)");
  const std::uint64_t start = data_start(e);
  if (offset > e.uncompressed_size || n > e.uncompressed_size - offset)
    throw ValueError(where + ": range [" + std::to_string(offset) + ", +" + std::to_string(n) + ") lies outside the " +
                     std::to_string(e.uncompressed_size) + "-byte entry");
  if (file_) file_->read_at(start + offset, n, dst);
  else std::copy_n(bytes_.data() + start + offset, n, dst);
}

namespace {
void put(std::string& s, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
}  // namespace

void ZipWriter::add(const std::string& name, const std::string& data, Compression compression, std::uint64_t align) {
  if (finished_) throw Error("ZipWriter::add: the archive is finished");
  ZipEntry e;
  e.name = name;
  e.uncompressed_size = data.size();
  e.crc32 = static_cast<std::uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(data.data()), data.size()));
  e.local_header_offset = offset_;
  std::string payload;
  if (compression == Compression::Deflate) {
    if (data.size() >= k32) throw Error("ZipWriter: " + name + " is too large to deflate in one call (4 GiB)");
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw Error("ZipWriter: zlib deflateInit2 failed");
    payload.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(payload.data());
    zs.avail_out = static_cast<uInt>(payload.size());
    const int rc = deflate(&zs, Z_FINISH);
    payload.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw Error("ZipWriter: zlib deflate failed for " + name);
    e.method = 8;
  } else {
    payload = data;
  }
  e.compressed_size = payload.size();
  const bool zip64 = force_zip64_ || e.uncompressed_size >= k32 || e.compressed_size >= k32;
  std::string h;
  put(h, kLocalHeader, 4);
  put(h, zip64 ? 45 : 20, 2);
  put(h, 0, 2);
  put(h, e.method, 2);
  put(h, 0, 2);       // time 00:00
  put(h, 0x0021, 2);  // date 1980-01-01
  put(h, e.crc32, 4);
  put(h, zip64 ? k32 : e.compressed_size, 4);
  put(h, zip64 ? k32 : e.uncompressed_size, 4);
  std::string extra;
  if (zip64) {
    put(extra, 0x0001, 2);
    put(extra, 16, 2);
    put(extra, e.uncompressed_size, 8);
    put(extra, e.compressed_size, 8);
  }
  if (align > 1) {  // a padding block ("FB", as PyTorch's writer uses) so the data starts aligned
    const std::uint64_t base = offset_ + 30 + name.size() + extra.size() + 4;
    const std::uint64_t pad = (align - base % align) % align;
    put(extra, 0x4246, 2);
    put(extra, pad, 2);
    extra.append(static_cast<std::size_t>(pad), 'Z');
  }
  put(h, name.size(), 2);
  put(h, extra.size(), 2);
  h += name;
  h += extra;
  out_.write(h.data(), static_cast<std::streamsize>(h.size()));
  out_.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  offset_ += h.size() + payload.size();
  entries_.push_back(std::move(e));
}

void ZipWriter::finish() {
  if (finished_) return;
  finished_ = true;
  std::string cd;
  for (const auto& e : entries_) {
    const bool big_u = force_zip64_ || e.uncompressed_size >= k32, big_c = force_zip64_ || e.compressed_size >= k32;
    const bool big_o = force_zip64_ || e.local_header_offset >= k32;
    std::string extra;
    if (big_u) put(extra, e.uncompressed_size, 8);
    if (big_c) put(extra, e.compressed_size, 8);
    if (big_o) put(extra, e.local_header_offset, 8);
    if (!extra.empty()) {
      std::string head;
      put(head, 0x0001, 2);
      put(head, extra.size(), 2);
      extra = head + extra;
    }
    put(cd, kCentralHeader, 4);
    put(cd, extra.empty() ? 20 : 45, 2);  // made by
    put(cd, extra.empty() ? 20 : 45, 2);  // needed
    put(cd, 0, 2);
    put(cd, e.method, 2);
    put(cd, 0, 2);
    put(cd, 0x0021, 2);
    put(cd, e.crc32, 4);
    put(cd, big_c ? k32 : e.compressed_size, 4);
    put(cd, big_u ? k32 : e.uncompressed_size, 4);
    put(cd, e.name.size(), 2);
    put(cd, extra.size(), 2);
    put(cd, 0, 2);  // comment
    put(cd, 0, 2);  // disk
    put(cd, 0, 2);  // internal attributes
    put(cd, 0x81800000u, 4);  // external attributes: a regular file, rw------- (as Python writes 0o600 << 16)
    put(cd, big_o ? k32 : e.local_header_offset, 4);
    cd += e.name;
    cd += extra;
  }
  const std::uint64_t cd_offset = offset_, cd_size = cd.size(), count = entries_.size();
  const bool zip64 = force_zip64_ || count >= 0xFFFF || cd_offset >= k32 || cd_size >= k32;
  std::string end;
  if (zip64) {
    const std::uint64_t record = cd_offset + cd_size;
    put(end, kZip64End, 4);
    put(end, 44, 8);
    put(end, 45, 2);
    put(end, 45, 2);
    put(end, 0, 4);
    put(end, 0, 4);
    put(end, count, 8);
    put(end, count, 8);
    put(end, cd_size, 8);
    put(end, cd_offset, 8);
    put(end, kZip64Locator, 4);
    put(end, 0, 4);
    put(end, record, 8);
    put(end, 1, 4);
  }
  put(end, kEndOfCentralDir, 4);
  put(end, 0, 4);
  put(end, zip64 ? 0xFFFF : count, 2);
  put(end, zip64 ? 0xFFFF : count, 2);
  put(end, zip64 ? k32 : cd_size, 4);
  put(end, zip64 ? k32 : cd_offset, 4);
  put(end, 0, 2);
  out_.write(cd.data(), static_cast<std::streamsize>(cd.size()));
  out_.write(end.data(), static_cast<std::streamsize>(end.size()));
  offset_ += cd.size() + end.size();
}

}  // namespace aime::io
