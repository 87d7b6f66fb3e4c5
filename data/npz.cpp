#include "data/npz.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "io/atomic_file.h"

namespace aime::data {

NpzArrays parse_npz(std::string bytes, const std::string& source) {
  const ZipReader zip(std::move(bytes), source);
  NpzArrays out;
  std::unordered_set<std::string> seen;
  for (const auto& e : zip.entries()) {
    if (e.name.size() < 5 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0)
      throw ValueError(source + ": entry '" + e.name + "' is not a .npy array");
    const std::string key = e.name.substr(0, e.name.size() - 4);
    if (!seen.insert(key).second) throw ValueError(source + ": key '" + key + "' appears twice");
    out.emplace_back(key, parse_npy(zip.read(e), source + ": " + e.name));
  }
  return out;
}

NpzArrays read_npz(const std::string& path) { return parse_npz(read_file_bytes(path), path); }

std::string serialize_npz(const NpzArrays& arrays, Compression compression) {
  std::ostringstream out;
  ZipWriter zip(out);
  for (const auto& [key, array] : arrays) {
    if (key.empty()) throw ValueError("write_npz: empty key");
    zip.add(key + ".npy", serialize_npy(array), compression);
  }
  zip.finish();
  return out.str();
}

void write_npz(const std::string& path, const NpzArrays& arrays, Compression compression) {
  const std::string bytes = serialize_npz(arrays, compression);
  io::write_file_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

}  // namespace aime::data
