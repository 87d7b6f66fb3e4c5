#include "data/npy.h"

#include <cstring>
#include <limits>

#include "autograd/ops/creation.h"
#include "autograd/ops/shape_ops.h"

namespace aime::data {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::uint64_t kMaxNpyHeader = std::uint64_t(1) << 20;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw ValueError(source + ": " + what);
}

// A minimal reader of the header's Python dict literal.
struct HeaderParser {
  const std::string& s;
  const std::string& source;
  std::size_t pos = 0;

  void space() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
  }
  bool accept(char c) {
    space();
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(source, std::string("npy header: expected '") + c + "' at byte " + std::to_string(pos) +
                                     " of " + s);
  }
  std::string quoted() {
    space();
    if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"')) fail(source, "npy header: expected a quoted string in " + s);
    const char q = s[pos++];
    const std::size_t end = s.find(q, pos);
    if (end == std::string::npos) fail(source, "npy header: unterminated string in " + s);
    std::string out = s.substr(pos, end - pos);
    pos = end + 1;
    return out;
  }
  bool boolean() {
    space();
    if (s.compare(pos, 4, "True") == 0) {
      pos += 4;
      return true;
    }
    if (s.compare(pos, 5, "False") == 0) {
      pos += 5;
      return false;
    }
    fail(source, "npy header: fortran_order must be True or False in " + s);
  }
  Shape shape() {
    expect('(');
    Shape out;
    while (!accept(')')) {
      space();
      const std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start || pos - start > 18) fail(source, "npy header: shape must be a tuple of non-negative integers in " + s);
      out.push_back(std::stoll(s.substr(start, pos - start)));
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return out;
  }
};

struct TypeInfo {
  DType dtype;        // what aime holds
  std::size_t size;   // bytes per element in the file
  char kind;          // 'f', 'i', 'u', 'b'
  bool swap;          // big-endian in the file
};

TypeInfo parse_descr(const std::string& descr, const std::string& source) {
  if (descr.size() < 3) fail(source, "unsupported npy dtype '" + descr + "'");
  const char order = descr[0], kind = descr[1];
  const std::string digits = descr.substr(2);
  if ((order != '<' && order != '>' && order != '|' && order != '=') || digits.find_first_not_of("0123456789") != std::string::npos)
    fail(source, "unsupported npy dtype '" + descr + "' (aime reads bool, uint8, integers and floats)");
  const std::size_t size = std::stoul(digits);
  const bool swap = order == '>' && size > 1;
  auto ok = [&](DType d) { return TypeInfo{d, size, kind, swap}; };
  if (kind == 'f' && size == 4) return ok(kFloat32);
  if (kind == 'f' && size == 8) return ok(kFloat64);
  if (kind == 'f' && size == 2) return ok(kFloat32);
  if (kind == 'u' && size == 1) return ok(kUInt8);
  if (kind == 'b' && size == 1) return ok(kUInt8);
  if (kind == 'i' && (size == 1 || size == 2 || size == 4 || size == 8)) return ok(kInt64);
  if (kind == 'u' && (size == 2 || size == 4)) return ok(kInt64);
  fail(source, "unsupported npy dtype '" + descr + "' (aime reads bool, uint8, int8-64, uint16/32, float16/32/64)");
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  const std::uint32_t bits = exp == 31 ? (sign | 0x7F800000u | (mant << 13)) : (sign | ((exp + 112) << 23) | (mant << 13));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Reads element i of the file's data (little-endian unless swap) as T.
template <class T>
void convert(const unsigned char* src, const TypeInfo& t, T* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    unsigned char b[8];
    for (std::size_t k = 0; k < t.size; ++k) b[k] = src[i * t.size + (t.swap ? t.size - 1 - k : k)];
    if (t.kind == 'f' && t.size == 2) {
      dst[i] = static_cast<T>(half_to_float(static_cast<std::uint16_t>(b[0] | (b[1] << 8))));
    } else if (t.kind == 'f') {
      if (t.size == 4) {
        float v;
        std::memcpy(&v, b, 4);
        dst[i] = static_cast<T>(v);
      } else {
        double v;
        std::memcpy(&v, b, 8);
        dst[i] = static_cast<T>(v);
      }
    } else {
      std::uint64_t u = 0;
      for (std::size_t k = 0; k < t.size; ++k) u |= static_cast<std::uint64_t>(b[k]) << (8 * k);
      if (t.kind == 'i' && t.size < 8 && (u >> (8 * t.size - 1)) & 1) u |= ~std::uint64_t(0) << (8 * t.size);  // sign-extend
      if (t.kind == 'b') u = u != 0;
      dst[i] = static_cast<T>(static_cast<std::int64_t>(u));
    }
  }
}

}  // namespace

std::uint64_t npy_header_size(const std::string& first, const std::string& source) {
  if (first.size() < 10 || first.compare(0, 6, kMagic, 6) != 0)
    fail(source, "not a .npy array (the magic string \\x93NUMPY is missing)");
  const auto* p = reinterpret_cast<const unsigned char*>(first.data());
  const int major = p[6];
  std::uint64_t header_len, header_start;
  if (major == 1) {
    header_len = p[8] | (p[9] << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (first.size() < 12) fail(source, "truncated .npy header");
    header_len = static_cast<std::uint64_t>(p[8]) | (static_cast<std::uint64_t>(p[9]) << 8) |
                 (static_cast<std::uint64_t>(p[10]) << 16) | (static_cast<std::uint64_t>(p[11]) << 24);
    header_start = 12;
  } else {
    fail(source, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(p[7]));
  }
  if (header_len > kMaxNpyHeader)
    fail(source, ".npy header of " + std::to_string(header_len) + " bytes (at most " + std::to_string(kMaxNpyHeader) +
                     " are read; NumPy writes a few hundred)");
  return header_start + header_len;
}

NpyHeader parse_npy_header(const std::string& bytes, const std::string& source) {
  const std::uint64_t data_start = npy_header_size(bytes, source);
  const std::size_t header_start = static_cast<unsigned char>(bytes[6]) == 1 ? 10 : 12;
  if (data_start > bytes.size())
    fail(source, "truncated .npy header: it claims " + std::to_string(data_start - header_start) + " bytes, " +
                     std::to_string(bytes.size() - header_start) + " remain");
  const std::string header = bytes.substr(header_start, data_start - header_start);
  HeaderParser hp{header, source};
  NpyHeader h;
  bool have_descr = false, have_order = false, have_shape = false;
  hp.expect('{');
  while (!hp.accept('}')) {
    const std::string key = hp.quoted();
    hp.expect(':');
    if (key == "descr") {
      hp.space();
      if (hp.pos < header.size() && header[hp.pos] == '[')
        fail(source, "unsupported npy dtype: structured arrays (a list descr) are not supported");
      h.descr = hp.quoted();
      have_descr = true;
    } else if (key == "fortran_order") {
      h.fortran = hp.boolean();
      have_order = true;
    } else if (key == "shape") {
      h.shape = hp.shape();
      have_shape = true;
    } else {
      fail(source, "npy header: unexpected key '" + key + "'");
    }
    if (!hp.accept(',')) {
      hp.expect('}');
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape)
    fail(source, "npy header: needs descr, fortran_order and shape, got " + header);
  const TypeInfo t = parse_descr(h.descr, source);
  h.dtype = t.dtype;
  h.boolean = t.kind == 'b';
  h.item_size = t.size;
  h.numel = 1;
  for (auto d : h.shape) {
    if (d != 0 && h.numel > std::numeric_limits<std::uint64_t>::max() / 16 / static_cast<std::uint64_t>(d))
      fail(source, "npy shape " + shape_str(h.shape) + " is too large");
    h.numel *= static_cast<std::uint64_t>(d);
  }
  h.data_offset = data_start;
  return h;
}

Tensor decode_npy_rows(const NpyHeader& h, const char* bytes, std::int64_t rows, const std::string& source) {
  const TypeInfo t = parse_descr(h.descr, source);
  Shape part = h.fortran ? Shape(h.shape.rbegin(), h.shape.rend()) : h.shape;
  if (!part.empty()) {
    if (rows < 0 || rows > part[0]) fail(source, "decode_npy_rows: " + std::to_string(rows) + " rows of " + shape_str(h.shape));
    if (h.fortran && part.size() > 1 && rows != part[0])
      fail(source, "a Fortran-order array is decoded whole, not by rows");
    part[0] = rows;
  }
  Tensor data = Tensor::empty(part, t.dtype);
  const auto* src = reinterpret_cast<const unsigned char*>(bytes);
  const std::int64_t n = data.numel();
  const bool raw = !t.swap && dtype_size(t.dtype) == t.size && !(t.kind == 'f' && t.size == 2) && t.kind != 'b';
  if (raw) {
    if (n > 0) std::memcpy(data.data_ptr(), src, static_cast<std::size_t>(n) * t.size);
  } else if (t.dtype == kFloat32) {
    convert(src, t, data.data<float>(), n);
  } else if (t.dtype == kFloat64) {
    convert(src, t, data.data<double>(), n);
  } else if (t.dtype == kUInt8) {
    convert(src, t, data.data<std::uint8_t>(), n);
  } else {
    convert(src, t, data.data<std::int64_t>(), n);
  }
  // Fortran order: the bytes are the C-order data of the reversed shape; transpose back.
  if (h.fortran && data.dim() > 1) {
    Shape reverse;
    for (std::int64_t d = data.dim() - 1; d >= 0; --d) reverse.push_back(d);
    data = permute(data, reverse).contiguous();
  }
  return data;
}

NpyArray parse_npy(const std::string& bytes, const std::string& source) {
  const NpyHeader h = parse_npy_header(bytes, source);
  const std::uint64_t expected = h.data_bytes(), found = bytes.size() - h.data_offset;
  if (expected != found)
    fail(source, "npy data of shape " + shape_str(h.shape) + " and dtype " + h.descr + " needs " + std::to_string(expected) +
                     " bytes, found " + std::to_string(found) + (found < expected ? " (truncated)" : ""));
  NpyArray out;
  out.boolean = h.boolean;
  out.data = decode_npy_rows(h, bytes.data() + h.data_offset, h.shape.empty() ? 1 : (h.fortran ? h.shape.back() : h.shape[0]),
                             source);
  return out;
}

std::string npy_descr(const NpyArray& a) {
  if (a.boolean) return "|b1";
  switch (a.data.dtype()) {
    case DType::Float32: return "<f4";
    case DType::Float64: return "<f8";
    case DType::UInt8: return "|u1";
    case DType::Int64: return "<i8";
  }
  return "?";
}

std::string serialize_npy(const NpyArray& a) {
  if (!a.data.defined()) throw ValueError("serialize_npy: the array is undefined");
  const Tensor c = a.data.cpu().contiguous();
  std::string shape = "(";
  for (std::size_t i = 0; i < c.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(c.shape()[i]);
  if (c.shape().size() == 1) shape += ",";
  shape += ")";
  std::string header = "{'descr': '" + npy_descr(a) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic (6) + version (2) + length field + header + '\n' is a multiple of 64.
  std::size_t prefix = 10;
  if (header.size() + 1 + prefix > 65535 + 10) prefix = 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += static_cast<char>(prefix == 10 ? 1 : 2);
  out += '\0';
  const std::size_t n = header.size();
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header;
  out.append(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
  return out;
}

}  // namespace aime::data
