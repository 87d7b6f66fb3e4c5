#include "nn/serialize/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "autograd/autograd.h"
#include "autograd/ops/creation.h"
#include "io/atomic_file.h"
#include "io/read_file.h"
#include "nn/serialize/half.h"
#include "nn/serialize/json.h"

namespace aime::nn {

namespace {

constexpr std::uint64_t kMaxHeaderSize = 100'000'000;  // the reference implementation's limit

// Element size of a safetensors dtype; 0 for an unknown name.
std::uint64_t element_size(const std::string& dtype) {
  static const std::pair<const char*, std::uint64_t> sizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4},  {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  for (const auto& [name, size] : sizes)
    if (dtype == name) return size;
  return 0;
}

const char* safetensors_dtype(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::UInt8: return "U8";
  }
  return "?";
}

void check_little_endian() {
  const std::uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  if (first != 1) throw Error("safetensors: this build assumes a little-endian host");
}

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Validates the header length against the bytes available after it.
void check_header_size(std::uint64_t n, std::uint64_t file_size, const std::string& source) {
  if (file_size < 8)
    throw ValueError(source + ": not a safetensors file: " + std::to_string(file_size) +
                     " bytes, shorter than the 8-byte header length");
  if (n > kMaxHeaderSize)
    throw ValueError(source + ": header length " + std::to_string(n) + " exceeds the 100 MB limit (corrupt file?)");
  if (n > file_size - 8)
    throw ValueError(source + ": header length " + std::to_string(n) + " exceeds the " +
                     std::to_string(file_size - 8) + " bytes after it (truncated file?)");
  if (n < 2) throw ValueError(source + ": header length " + std::to_string(n) + " is too short for a JSON object");
}

SafetensorsHeader parse_header(const std::string& text, std::uint64_t data_size, const std::string& source) {
  SafetensorsHeader h;
  h.header_size = text.size();
  h.data_size = data_size;
  json::Value root;
  try {
    root = json::parse(text);
  } catch (const ValueError& e) {
    throw ValueError(source + ": header is not valid JSON: " + e.what());
  }
  if (!root.is_object()) throw ValueError(source + ": header must be a JSON object");
  std::unordered_set<std::string> seen;
  for (const auto& [name, v] : root.object) {
    if (!seen.insert(name).second) throw ValueError(source + ": tensor '" + name + "' appears twice in the header");
    const std::string where = source + ": tensor '" + name + "'";
    if (name == "__metadata__") {
      if (!v.is_object()) throw ValueError(source + ": __metadata__ must be an object of strings");
      for (const auto& [key, value] : v.object) {
        if (!value.is_string()) throw ValueError(source + ": __metadata__['" + key + "'] must be a string");
        h.metadata[key] = value.string;
      }
      continue;
    }
    if (!v.is_object()) throw ValueError(where + ": entry must be an object with dtype, shape and data_offsets");
    const json::Value* dtype = v.find("dtype");
    const json::Value* shape = v.find("shape");
    const json::Value* offsets = v.find("data_offsets");
    if (!dtype || !dtype->is_string()) throw ValueError(where + ": field dtype must be a string");
    if (!shape || !shape->is_array()) throw ValueError(where + ": field shape must be an array of integers");
    if (!offsets || !offsets->is_array() || offsets->array.size() != 2)
      throw ValueError(where + ": field data_offsets must be [begin, end]");
    SafetensorsEntry e;
    e.name = name;
    e.dtype = dtype->string;
    const std::uint64_t esize = element_size(e.dtype);
    if (esize == 0) throw ValueError(where + ": unknown dtype '" + e.dtype + "'");
    std::uint64_t numel = 1;
    bool overflow = false;
    for (const auto& d : shape->array) {
      if (d.kind != json::Value::Kind::Number || !d.is_integer || d.integer < 0)
        throw ValueError(where + ": field shape must hold non-negative integers");
      e.shape.push_back(d.integer);
      const auto size = static_cast<std::uint64_t>(d.integer);
      if (size != 0 && numel > std::numeric_limits<std::uint64_t>::max() / size) overflow = true;
      numel *= size;
    }
    for (const auto& o : offsets->array)
      if (o.kind != json::Value::Kind::Number || !o.is_integer || o.integer < 0)
        throw ValueError(where + ": field data_offsets must hold non-negative integers");
    e.begin = static_cast<std::uint64_t>(offsets->array[0].integer);
    e.end = static_cast<std::uint64_t>(offsets->array[1].integer);
    if (e.end < e.begin || e.end > data_size)
      throw ValueError(where + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                       "] fall outside the " + std::to_string(data_size) + " data bytes");
    if (overflow || numel > std::numeric_limits<std::uint64_t>::max() / esize || numel * esize != e.end - e.begin)
      throw ValueError(where + ": shape " + shape_str(e.shape) + " of " + e.dtype + " needs " +
                       (overflow ? std::string("more than 2^64") : std::to_string(numel * esize)) +
                       " bytes, data_offsets give " + std::to_string(e.end - e.begin));
    h.entries.push_back(std::move(e));
  }
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : h.entries)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      throw ValueError(source + ": tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name +
                       "' overlap in the data section");
  return h;
}

Tensor make_tensor(const SafetensorsEntry& e, const unsigned char* data, Device device, const std::string& source) {
  const unsigned char* src = data + e.begin;
  const std::int64_t n = numel_of(e.shape);
  Tensor t;
  if (e.dtype == "F16" || e.dtype == "BF16") {
    t = Tensor::empty(e.shape, kFloat32);
    float* out = t.data<float>();
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint16_t bits = static_cast<std::uint16_t>(src[2 * i] | (src[2 * i + 1] << 8));
      out[i] = e.dtype == "F16" ? half_to_float(bits) : bfloat16_to_float(bits);
    }
  } else {
    DType dtype;
    if (e.dtype == "F32") dtype = kFloat32;
    else if (e.dtype == "F64") dtype = kFloat64;
    else if (e.dtype == "I64") dtype = kInt64;
    else if (e.dtype == "U8" || e.dtype == "BOOL") dtype = kUInt8;
    else
      throw DTypeError(source + ": tensor '" + e.name + "' has dtype " + e.dtype +
                       ", which aime cannot load (it reads F32, F64, F16, BF16, I64, U8, BOOL)");
    t = Tensor::empty(e.shape, dtype);
    if (n > 0) std::memcpy(t.data_ptr(), src, e.end - e.begin);
  }
  return device.is_cpu() ? t : t.to(device);
}

}  // namespace

std::string serialize_safetensors(const StateDict& tensors, const Metadata& metadata) {
  check_little_endian();
  std::vector<Tensor> host;
  std::string header = "{";
  std::uint64_t offset = 0;
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (auto it = metadata.begin(); it != metadata.end(); ++it)
      header += (it == metadata.begin() ? "" : ",") + json::quote(it->first) + ":" + json::quote(it->second);
    header += "}";
    first = false;
  }
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name == "__metadata__")
      throw ValueError("save_safetensors: tensor name '" + name + "' is reserved or empty");
    if (!t.defined()) throw ValueError("save_safetensors: tensor '" + name + "' is undefined");
    Tensor c = t.detach().cpu().contiguous();
    const std::uint64_t nbytes = static_cast<std::uint64_t>(c.numel()) * dtype_size(c.dtype());
    std::string shape;
    for (std::size_t i = 0; i < c.shape().size(); ++i) shape += (i ? "," : "") + std::to_string(c.shape()[i]);
    header += std::string(first ? "" : ",") + json::quote(name) + ":{\"dtype\":\"" + safetensors_dtype(c.dtype()) +
              "\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + nbytes) + "]}";
    first = false;
    offset += nbytes;
    host.push_back(c);
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned, as the reference does
  std::string out(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header;
  out.reserve(out.size() + offset);
  for (const auto& c : host)
    out.append(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
  return out;
}

void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata) {
  const std::string bytes = serialize_safetensors(tensors, metadata);
  io::write_file_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source, Device device) {
  check_little_endian();
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint64_t n = bytes.size() >= 8 ? read_u64_le(p) : 0;
  check_header_size(n, bytes.size(), source);
  const SafetensorsHeader h = parse_header(bytes.substr(8, n), bytes.size() - 8 - n, source);
  SafetensorsFile file;
  file.metadata = h.metadata;
  for (const auto& e : h.entries) file.tensors.set(e.name, make_tensor(e, p + 8 + n, device, source));
  return file;
}

SafetensorsFile load_safetensors(const std::string& path, Device device) {
  return parse_safetensors(io::read_file_bytes(path), path, device);
}

SafetensorsHeader read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error("read_safetensors_header: cannot open " + path);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  unsigned char len[8] = {0};
  if (size >= 8) in.read(reinterpret_cast<char*>(len), 8);
  const std::uint64_t n = size >= 8 ? read_u64_le(len) : 0;
  check_header_size(n, size, path);
  std::string text(n, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(n))) throw Error("read_safetensors_header: cannot read " + path);
  return parse_header(text, size - 8 - n, path);
}

}  // namespace aime::nn
