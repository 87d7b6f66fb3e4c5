#include "data/episode_file.h"

#include <algorithm>
#include <unordered_set>

#include "io/random_access_file.h"

namespace aime::data {

EpisodeFile::EpisodeFile(std::string path) : path_(std::move(path)) {
  auto file = std::make_shared<const io::RandomAccessFile>(path_);
  size_ = file->size();
  const io::ZipReader zip(file);
  std::unordered_set<std::string> seen;
  for (const auto& e : zip.entries()) {
    if (e.name.size() < 5 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0)
      throw ValueError(path_ + ": entry '" + e.name + "' is not a .npy array");
    Key k;
    k.name = e.name.substr(0, e.name.size() - 4);
    if (!seen.insert(k.name).second) throw ValueError(path_ + ": key '" + k.name + "' appears twice");
    const std::string where = path_ + ": " + e.name;
    const std::uint64_t header_size = npy_header_size(zip.read_prefix(e, 12), where);
    k.header = parse_npy_header(zip.read_prefix(e, header_size), where);
    // The directory's size must be exactly the header plus what the shape needs: nothing is
    // read (or allocated) on the strength of a shape the entry cannot hold.
    if (e.uncompressed_size != k.header.data_offset + k.header.data_bytes())
      throw ValueError(where + ": npy data of shape " + shape_str(k.header.shape) + " and dtype " + k.header.descr +
                       " needs " + std::to_string(k.header.data_bytes()) + " bytes, the entry holds " +
                       std::to_string(e.uncompressed_size - std::min(e.uncompressed_size, k.header.data_offset)));
    if (k.header.shape.empty())
      throw ValueError(path_ + ": key '" + k.name + "' must have a time axis, got shape ()");
    k.shape = k.header.shape;
    if (k.shape.size() == 1) k.shape.push_back(1);
    k.by_rows = e.method == 0 && !k.header.fortran;
    k.entry = e;
    keys_.push_back(std::move(k));
  }
  if (keys_.empty()) throw ValueError(path_ + ": the episode has no arrays");
  length_ = keys_.front().shape[0];
  for (const auto& k : keys_)
    if (k.shape[0] != length_)
      throw ValueError(path_ + ": inconsistent lengths: '" + k.name + "' has " + std::to_string(k.shape[0]) +
                       " steps, '" + keys_.front().name + "' has " + std::to_string(length_));
}

const EpisodeFile::Key* EpisodeFile::find(const std::string& name) const {
  for (const auto& k : keys_)
    if (k.name == name) return &k;
  return nullptr;
}

const EpisodeFile::Key& EpisodeFile::at(const std::string& name) const {
  if (const Key* k = find(name)) return *k;
  throw ValueError(path_ + ": key '" + name + "' is missing");
}

namespace {
bool selected(const std::vector<std::string>& names, const std::string& name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}
}  // namespace

std::uint64_t EpisodeFile::decoded_bytes(const std::vector<std::string>& names) const {
  std::uint64_t total = 0;
  for (const auto& k : keys_)
    if (selected(names, k.name)) total += k.decoded_bytes();
  return total;
}

io::ZipReader EpisodeFile::open() const {
  auto file = std::make_shared<const io::RandomAccessFile>(path_);
  if (file->size() != size_)
    throw Error(path_ + ": the file changed since the dataset was indexed (" + std::to_string(size_) + " bytes, now " +
                std::to_string(file->size()) + ")");
  std::vector<io::ZipEntry> entries;
  for (const auto& k : keys_) entries.push_back(k.entry);
  return io::ZipReader(std::move(file), std::move(entries));
}

Tensor EpisodeFile::read_rows(const Key& key, std::int64_t start, std::int64_t count) const {
  const std::string where = path_ + ": " + key.entry.name;
  if (!key.by_rows) throw ValueError(where + ": rows can be read alone only from a stored C-order array");
  if (start < 0 || count < 0 || start > length_ || count > length_ - start)
    throw ValueError(where + ": rows [" + std::to_string(start) + ", +" + std::to_string(count) + ") outside the " +
                     std::to_string(length_) + " steps");
  const std::uint64_t row_bytes = length_ > 0 ? key.header.data_bytes() / static_cast<std::uint64_t>(length_) : 0;
  std::string bytes(static_cast<std::size_t>(row_bytes * static_cast<std::uint64_t>(count)), '\0');
  open().read_stored_range(key.entry, key.header.data_offset + row_bytes * static_cast<std::uint64_t>(start), bytes.size(),
                           bytes.data());
  Shape shape = key.shape;
  shape[0] = count;
  return decode_npy_rows(key.header, bytes.data(), count, where).reshape(shape);
}

NpyArray EpisodeFile::read(const Key& key) const {
  const std::string where = path_ + ": " + key.entry.name;
  NpyArray out;
  out.boolean = key.header.boolean;
  const std::string bytes = open().read(key.entry);
  const NpyHeader& h = key.header;
  out.data = decode_npy_rows(h, bytes.data() + h.data_offset, h.fortran ? h.shape.back() : h.shape[0], where).reshape(key.shape);
  return out;
}

void EpisodeFile::scan(const Key& key, std::uint64_t block_bytes,
                       const std::function<void(const Tensor& rows, std::int64_t first_step)>& visit) const {
  const std::string where = path_ + ": " + key.entry.name;
  if (key.header.fortran) {
    visit(read(key).data, 0);
    return;
  }
  const std::uint64_t row_bytes = length_ > 0 ? key.header.data_bytes() / static_cast<std::uint64_t>(length_) : 0;
  if (row_bytes == 0) return;
  const auto rows_per_block = static_cast<std::int64_t>(std::max<std::uint64_t>(1, block_bytes / row_bytes));
  auto decode = [&](const char* bytes, std::int64_t first, std::int64_t count) {
    Shape shape = key.shape;
    shape[0] = count;
    visit(decode_npy_rows(key.header, bytes, count, where).reshape(shape), first);
  };
  if (key.by_rows) {
    for (std::int64_t first = 0; first < length_; first += rows_per_block) {
      const std::int64_t count = std::min(rows_per_block, length_ - first);
      visit(read_rows(key, first, count), first);
    }
    return;
  }
  // Compressed: the stream's bytes after the header, cut into whole rows as they arrive.
  std::string pending;
  std::uint64_t skip = key.header.data_offset;
  std::int64_t next = 0;
  const std::uint64_t block = static_cast<std::uint64_t>(rows_per_block) * row_bytes;
  open().stream(key.entry, [&](const char* p, std::size_t n) {
    const std::size_t drop = static_cast<std::size_t>(std::min<std::uint64_t>(skip, n));
    skip -= drop;
    pending.append(p + drop, n - drop);
    while (pending.size() >= block || (pending.size() >= row_bytes && next + static_cast<std::int64_t>(pending.size() / row_bytes) == length_)) {
      const auto count = static_cast<std::int64_t>(std::min<std::uint64_t>(pending.size(), block) / row_bytes);
      decode(pending.data(), next, count);
      pending.erase(0, static_cast<std::size_t>(static_cast<std::uint64_t>(count) * row_bytes));
      next += count;
    }
  });
  if (next != length_) throw ValueError(where + ": the stream ended after " + std::to_string(next) + " of " + std::to_string(length_) + " rows");
}

Episode EpisodeFile::load(const std::vector<std::string>& names) const {
  Episode e;
  for (const auto& k : keys_)
    if (selected(names, k.name)) e.set(k.name, read(k));
  return e;
}

}  // namespace aime::data
