#include "nn/serialize/torch_checkpoint.h"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "autograd/autograd.h"
#include "io/atomic_file.h"
#include "io/read_file.h"
#include "io/zip.h"
#include "nn/serialize/half.h"
#include "nn/serialize/pickle.h"

namespace aime::nn {

namespace {

void check_little_endian() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  if (first != 1) throw Error("PyTorch checkpoints: this reader assumes a little-endian host");
}

bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_add_overflow(a, b, out); }

// The dtype an element of a storage type becomes.
DType target_dtype(const std::string& storage_type, DType float_dtype) {
  if (storage_type == "FloatStorage" || storage_type == "DoubleStorage" || storage_type == "HalfStorage" ||
      storage_type == "BFloat16Storage")
    return float_dtype;
  if (storage_type == "ByteStorage" || storage_type == "BoolStorage") return kUInt8;
  return kInt64;
}

// A storage's element type, resolved once per tensor (not per element).
enum class Element { F32, F64, F16, BF16, I64, I32, I16, I8, U8 };

Element element_of(const std::string& type) {
  if (type == "FloatStorage") return Element::F32;
  if (type == "DoubleStorage") return Element::F64;
  if (type == "HalfStorage") return Element::F16;
  if (type == "BFloat16Storage") return Element::BF16;
  if (type == "LongStorage") return Element::I64;
  if (type == "IntStorage") return Element::I32;
  if (type == "ShortStorage") return Element::I16;
  if (type == "CharStorage") return Element::I8;
  return Element::U8;  // Byte, Bool
}

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Element `i` of a raw little-endian storage, widened to double (exact for every type but
// int64 beyond 2^53, which integer targets read through element_int).
double element_float(const unsigned char* p, Element e, std::int64_t i) {
  switch (e) {
    case Element::F32: return load<float>(p + 4 * i);
    case Element::F64: return load<double>(p + 8 * i);
    case Element::F16: return half_to_float(load<std::uint16_t>(p + 2 * i));
    case Element::BF16: return bfloat16_to_float(load<std::uint16_t>(p + 2 * i));
    default: return 0.0;
  }
}
std::int64_t element_int(const unsigned char* p, Element e, std::int64_t i) {
  switch (e) {
    case Element::I64: return load<std::int64_t>(p + 8 * i);
    case Element::I32: return load<std::int32_t>(p + 4 * i);
    case Element::I16: return load<std::int16_t>(p + 2 * i);
    case Element::I8: return static_cast<std::int8_t>(p[i]);
    default: return p[i];
  }
}

// Copies the view (offset, sizes, strides) into `out` in row-major order, carrying the
// multi-index; `read(src)` converts one storage element.
template <class T, class Read>
void gather(T* out, const Shape& shape, const pickle::TensorRecord& r, std::int64_t numel, Read read) {
  std::vector<std::int64_t> index(shape.size(), 0);
  std::int64_t src = r.offset;
  for (std::int64_t i = 0; i < numel; ++i) {
    out[i] = read(src);
    for (std::size_t d = shape.size(); d-- > 0;) {
      src += r.strides[d];
      if (++index[d] < shape[d]) break;
      src -= r.strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

Tensor rebuild(const std::string& name, const pickle::TensorRecord& r, const std::string& storage, DType float_dtype,
               const std::string& source) {
  const std::string where = source + ": tensor '" + name + "'";
  const std::size_t esize = pickle::storage_element_size(r.storage_type);
  std::int64_t nbytes = 0;
  if (mul_overflows(r.storage_numel, static_cast<std::int64_t>(esize), &nbytes) ||
      static_cast<std::uint64_t>(nbytes) != storage.size())
    throw ValueError(where + ": its storage data/" + r.storage_key + " holds " + std::to_string(storage.size()) +
                     " bytes, but the pickle says " + std::to_string(r.storage_numel) + " elements of " +
                     r.storage_type);
  if (r.offset < 0) throw ValueError(where + ": negative storage offset " + std::to_string(r.offset));
  Shape shape;
  std::int64_t numel = 1, last = r.offset;  // `last`: the largest element index the view touches
  for (std::size_t d = 0; d < r.sizes.size(); ++d) {
    if (r.sizes[d] < 0) throw ValueError(where + ": negative size " + std::to_string(r.sizes[d]) + " in dim " + std::to_string(d));
    if (r.strides[d] < 0)
      throw ValueError(where + ": negative stride " + std::to_string(r.strides[d]) + " in dim " + std::to_string(d));
    if (mul_overflows(numel, r.sizes[d], &numel)) throw ValueError(where + ": its sizes overflow 64 bits");
    shape.push_back(r.sizes[d]);
  }
  if (numel > 0) {
    for (std::size_t d = 0; d < r.sizes.size(); ++d) {
      std::int64_t span = 0;
      if (mul_overflows(r.sizes[d] - 1, r.strides[d], &span) || add_overflows(last, span, &last))
        throw ValueError(where + ": its sizes and strides overflow 64 bits");
    }
    if (last >= r.storage_numel)
      throw ValueError(where + ": the view (offset " + std::to_string(r.offset) + ", extent " + std::to_string(last + 1) +
                       " elements) runs past its storage data/" + r.storage_key + " of " +
                       std::to_string(r.storage_numel) + " elements");
    if (numel > r.storage_numel)
      throw ValueError(where + ": " + std::to_string(numel) + " elements from a storage of " +
                       std::to_string(r.storage_numel) + " (zero strides): not a state dict's tensor");
  }
  const DType dtype = target_dtype(r.storage_type, float_dtype);
  Tensor t = Tensor::empty(shape, dtype);
  const auto* p = reinterpret_cast<const unsigned char*>(storage.data());
  const Element e = element_of(r.storage_type);
  if (dtype == kFloat32)
    gather(t.data<float>(), shape, r, numel, [&](std::int64_t k) { return static_cast<float>(element_float(p, e, k)); });
  else if (dtype == kFloat64)
    gather(t.data<double>(), shape, r, numel, [&](std::int64_t k) { return element_float(p, e, k); });
  else if (dtype == kInt64)
    gather(t.data<std::int64_t>(), shape, r, numel, [&](std::int64_t k) { return element_int(p, e, k); });
  else
    gather(t.data<std::uint8_t>(), shape, r, numel,
           [&](std::int64_t k) { return static_cast<std::uint8_t>(element_int(p, e, k)); });
  return t;
}

const char* storage_type_of(DType dtype) {
  if (dtype == kFloat32) return "FloatStorage";
  if (dtype == kFloat64) return "DoubleStorage";
  if (dtype == kInt64) return "LongStorage";
  return "ByteStorage";
}

}  // namespace

bool looks_like_torch_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[2] = {0, 0};
  in.read(head, 2);
  return in && ((head[0] == 'P' && head[1] == 'K') || (static_cast<unsigned char>(head[0]) == 0x80));
}

StateDict parse_torch_checkpoint(const std::string& bytes, const std::string& source, DType float_dtype) {
  check_little_endian();
  if (!is_floating(float_dtype)) throw DTypeError("parse_torch_checkpoint: float_dtype must be float32 or float64");
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x80)
    throw ValueError(source + ": the legacy (pre-1.6) torch.save format; load and save it again with torch >= 1.6 "
                              "(torch.save(torch.load(f), f)) to get the zip format aime reads");
  if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0)
    throw ValueError(source + ": not a PyTorch checkpoint (no zip archive; torch.save writes one since torch 1.6)");
  const io::ZipReader zip(bytes, source);
  if (zip.entries().empty()) throw ValueError(source + ": an empty archive");
  const std::string& first = zip.entries().front().name;
  const std::size_t slash = first.find('/');
  if (slash == std::string::npos) throw ValueError(source + ": entry '" + first + "' is not inside a folder (<stem>/...)");
  const std::string stem = first.substr(0, slash + 1);
  std::map<std::string, const io::ZipEntry*> by_name;
  for (const auto& e : zip.entries()) {
    if (e.name.compare(0, stem.size(), stem) != 0)
      throw ValueError(source + ": entry '" + e.name + "' lies outside the archive's folder '" + stem + "'");
    by_name[e.name.substr(stem.size())] = &e;
  }
  if (by_name.count("constants.pkl") || by_name.count("code/"))
    throw ValueError(source + ": a TorchScript archive (torch.jit.save), not a state dict saved with torch.save");
  if (!by_name.count("data.pkl")) throw ValueError(source + ": no " + stem + "data.pkl in the archive");
  if (by_name.count("byteorder")) {
    const std::string order = zip.read(*by_name["byteorder"]);
    if (order != "little") throw ValueError(source + ": byteorder is '" + order + "'; aime reads little-endian checkpoints");
  }
  if (by_name.count("version")) {
    std::string v = zip.read(*by_name["version"]);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    if (v != "1" && v != "2" && v != "3")
      throw ValueError(source + ": " + stem + "version is '" + v + "'; aime reads versions 1-3 (torch 1.6 - 2.x)");
  }
  const auto records = pickle::unpickle_state_dict(zip.read(*by_name["data.pkl"]), source + ": " + stem + "data.pkl");
  std::map<std::string, std::string> storages;       // key -> bytes, read once
  std::map<std::string, std::string> storage_types;  // key -> type, which must agree across views
  StateDict out;
  for (const auto& [name, r] : records) {
    if (out.find(name)) throw ValueError(source + ": tensor '" + name + "' appears twice");
    auto type = storage_types.emplace(r.storage_key, r.storage_type);
    if (type.first->second != r.storage_type)
      throw ValueError(source + ": storage data/" + r.storage_key + " is named as both " + type.first->second + " and " +
                       r.storage_type);
    auto it = storages.find(r.storage_key);
    if (it == storages.end()) {
      auto entry = by_name.find("data/" + r.storage_key);
      if (entry == by_name.end())
        throw ValueError(source + ": tensor '" + name + "' refers to storage data/" + r.storage_key +
                         ", which the archive lacks");
      it = storages.emplace(r.storage_key, zip.read(*entry->second)).first;
    }
    out.set(name, rebuild(name, r, it->second, float_dtype, source));
  }
  return out;
}

StateDict load_torch_checkpoint(const std::string& path, DType float_dtype) {
  return parse_torch_checkpoint(io::read_file_bytes(path), path, float_dtype);
}

std::string serialize_torch_checkpoint(const StateDict& tensors, const TorchSaveOptions& options) {
  check_little_endian();
  if (options.stem.empty() || options.stem.find('/') != std::string::npos)
    throw ValueError("save_torch_checkpoint: the stem must be a non-empty name without '/', got '" + options.stem + "'");
  std::vector<std::pair<std::string, pickle::TensorRecord>> records;
  std::vector<Tensor> host;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw ValueError("save_torch_checkpoint: tensor '" + name + "' is undefined");
    Tensor c = t.detach().cpu().contiguous();
    pickle::TensorRecord r;
    r.storage_key = std::to_string(records.size());
    r.storage_type = storage_type_of(c.dtype());
    r.location = options.location;
    r.storage_numel = c.numel();
    r.sizes.assign(c.shape().begin(), c.shape().end());
    r.strides.assign(c.shape().size(), 1);
    for (std::size_t d = c.shape().size(); d-- > 1;) r.strides[d - 1] = r.strides[d] * c.shape()[d];
    records.emplace_back(name, r);
    host.push_back(c);
  }
  std::ostringstream out;
  io::ZipWriter zip(out);
  const std::string stem = options.stem + "/";
  zip.add(stem + "data.pkl", pickle::pickle_state_dict(records), io::Compression::Stored, 64);
  zip.add(stem + "byteorder", "little", io::Compression::Stored, 64);
  for (std::size_t i = 0; i < host.size(); ++i)
    zip.add(stem + "data/" + records[i].second.storage_key,
            std::string(static_cast<const char*>(host[i].data_ptr()),
                        static_cast<std::size_t>(host[i].numel()) * dtype_size(host[i].dtype())),
            io::Compression::Stored, 64);
  zip.add(stem + "version", "3\n", io::Compression::Stored, 64);
  zip.finish();
  return out.str();
}

void save_torch_checkpoint(const std::string& path, const StateDict& tensors, const TorchSaveOptions& options) {
  const std::string bytes = serialize_torch_checkpoint(tensors, options);
  io::write_file_atomically(path, [&](std::ostream& o) { o.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

}  // namespace aime::nn
