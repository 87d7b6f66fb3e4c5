#include "io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "autograd/error.h"

namespace aime::io {

namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndOfCentralDir = 0x06054b50;
constexpr std::uint32_t kZip64End = 0x06064b50, kZip64Locator = 0x07064b50;
constexpr std::uint32_t k32 = 0xFFFFFFFFu;

class Cursor {
 public:
  Cursor(const std::string& bytes, std::uint64_t pos, const std::string& source, const char* what)
      : b_(bytes), pos_(pos), source_(source), what_(what) {}
  void need(std::uint64_t n) const {
    if (pos_ > b_.size() || n > b_.size() - pos_)
      throw ValueError(source_ + ": truncated zip " + what_ + " at byte " + std::to_string(pos_));
  }
  std::uint64_t u(int n) {
    need(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b_[pos_ + static_cast<std::uint64_t>(i)]);
    pos_ += static_cast<std::uint64_t>(n);
    return v;
  }
  std::string str(std::uint64_t n) {
    need(n);
    std::string s = b_.substr(pos_, n);
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
  std::uint64_t pos_;
  const std::string& source_;
  const char* what_;
};

}  // namespace

ZipReader::ZipReader(std::string bytes, std::string source) : bytes_(std::move(bytes)), source_(std::move(source)) {
  const std::string& b = bytes_;
  if (b.size() < 22) throw ValueError(source_ + ": not a zip archive (" + std::to_string(b.size()) + " bytes)");
  // The end-of-central-directory record: the last signature within the final 64 KiB + 22 bytes.
  std::uint64_t eocd = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
  for (std::uint64_t p = b.size() - 22 + 1; p-- > lowest;)
    if (Cursor(b, p, source_, "end record").u(4) == kEndOfCentralDir) {
      eocd = p;
      break;
    }
  if (eocd == std::numeric_limits<std::uint64_t>::max())
    throw ValueError(source_ + ": not a zip archive (no end-of-central-directory record; truncated?)");
  Cursor end(b, eocd + 4, source_, "end record");
  end.skip(4);  // disk numbers
  std::uint64_t count = end.u(2);
  end.skip(2);
  std::uint64_t cd_size = end.u(4), cd_offset = end.u(4);
  if (count == 0xFFFF || cd_size == k32 || cd_offset == k32) {
    if (eocd < 20) throw ValueError(source_ + ": ZIP64 end-of-central-directory locator missing");
    Cursor loc(b, eocd - 20, source_, "ZIP64 locator");
    if (loc.u(4) != kZip64Locator) throw ValueError(source_ + ": ZIP64 end-of-central-directory locator missing");
    loc.skip(4);
    const std::uint64_t z64 = loc.u(8);
    Cursor rec(b, z64, source_, "ZIP64 end record");
    if (rec.u(4) != kZip64End) throw ValueError(source_ + ": bad ZIP64 end-of-central-directory record");
    rec.skip(8 + 2 + 2 + 4 + 4 + 8);
    count = rec.u(8);
    cd_size = rec.u(8);
    cd_offset = rec.u(8);
  }
  if (cd_offset > b.size() || cd_size > b.size() - cd_offset)
    throw ValueError(source_ + ": central directory [" + std::to_string(cd_offset) + ", +" + std::to_string(cd_size) +
                     ") lies outside the " + std::to_string(b.size()) + "-byte archive");
  if (count > cd_size / 46)
    throw ValueError(source_ + ": central directory claims " + std::to_string(count) + " entries in " +
                     std::to_string(cd_size) + " bytes");
  Cursor cd(b, cd_offset, source_, "central directory");
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
    Cursor extra(b, cd.pos(), source_, "extra field");
    const std::uint64_t extra_end = cd.pos() + extra_len;
    cd.skip(extra_len);
    while (extra.pos() + 4 <= extra_end) {
      const std::uint64_t id = extra.u(2), size = extra.u(2);
      if (extra.pos() + size > extra_end) throw ValueError(source_ + ": bad extra field of entry " + e.name);
      if (id == 0x0001) {
        Cursor z(b, extra.pos(), source_, "ZIP64 extra field");
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

std::string ZipReader::read(const ZipEntry& e) const {
  const std::string where = source_ + ": " + e.name;
  Cursor local(bytes_, e.local_header_offset, where, "local header");
  if (local.u(4) != kLocalHeader) throw ValueError(where + ": bad local header at byte " + std::to_string(e.local_header_offset));
  local.skip(22);
  const std::uint64_t name_len = local.u(2), extra_len = local.u(2);
  local.skip(name_len + extra_len);
  const std::uint64_t start = local.pos();
  if (e.compressed_size > bytes_.size() - start)
    throw ValueError(where + ": data [" + std::to_string(start) + ", +" + std::to_string(e.compressed_size) +
                     ") runs past the end of the archive (truncated?)");
  std::string out;
  if (e.method == 0) {
    if (e.compressed_size != e.uncompressed_size)
      throw ValueError(where + ": stored entry with compressed size " + std::to_string(e.compressed_size) +
                       " != uncompressed size " + std::to_string(e.uncompressed_size));
    out = bytes_.substr(start, e.compressed_size);
  } else if (e.method == 8) {
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error(where + ": zlib inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes_.data() + start));
    std::uint64_t in_left = e.compressed_size;
    // Grow the output as data arrives, never past the declared size (+1 to detect overflow).
    const std::uint64_t limit = e.uncompressed_size + 1;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (out.size() >= limit) break;
      const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(limit - out.size(), 1 << 20));
      const std::size_t old = out.size();
      out.resize(old + chunk);
      zs.next_out = reinterpret_cast<Bytef*>(&out[old]);
      zs.avail_out = static_cast<uInt>(chunk);
      const uInt feed = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1u << 30));
      zs.avail_in = feed;
      rc = inflate(&zs, Z_NO_FLUSH);
      in_left -= feed - zs.avail_in;
      out.resize(old + chunk - zs.avail_out);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        throw ValueError(where + ": corrupt deflate data (" + (zs.msg ? zs.msg : "zlib error " + std::to_string(rc)) + ")");
      }
      if (rc == Z_OK && zs.avail_out != 0 && in_left == 0) {
        inflateEnd(&zs);
        throw ValueError(where + ": deflate data ends early (truncated?)");
      }
    }
    inflateEnd(&zs);
    if (out.size() != e.uncompressed_size)
      throw ValueError(where + ": decompressed to " + (out.size() > e.uncompressed_size ? "more than " : "") +
                       std::to_string(out.size()) + " bytes, the directory says " + std::to_string(e.uncompressed_size));
  } else {
    throw ValueError(where + ": compression method " + std::to_string(e.method) + " is not supported (stored or deflate)");
  }
  const std::uint32_t crc = static_cast<std::uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<z_size_t>(out.size())));
  if (crc != e.crc32) throw ValueError(where + ": CRC-32 mismatch (corrupt data)");
  return out;
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
