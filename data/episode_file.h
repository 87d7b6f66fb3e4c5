// One episode file (`<int>.npz`, docs/original.md §5) opened without loading it: the zip
// directory and each key's .npy header are read, nothing else, so a folder of any size can be
// indexed in the memory of its headers. Its arrays are read on request: a stored entry
// (np.savez, aime's default) by rows straight from the file, a compressed one
// (np.savez_compressed) whole, decompressed in bounded chunks.
//
// Every size is checked against the archive before anything is allocated; errors name the
// file and the key. The file is opened per read (a folder of thousands of episodes holds no
// descriptors), and a file that changed size since it was indexed is refused.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/episode.h"
#include "data/npy.h"
#include "io/zip.h"

namespace aime::data {

class EpisodeFile {
 public:
  struct Key {
    std::string name;     // without ".npy"
    NpyHeader header;     // as the file states it
    Shape shape;          // as loaded: a [T] array reads as [T, 1], as load_episode gives it
    io::ZipEntry entry;
    bool by_rows = false;  // stored and C order: rows can be read alone
    Shape step_shape() const { return Shape(shape.begin() + 1, shape.end()); }
    // Bytes the decoded array takes in memory (aime's dtype).
    std::uint64_t decoded_bytes() const { return header.numel * dtype_size(header.dtype); }
  };

  explicit EpisodeFile(std::string path);

  const std::string& path() const { return path_; }
  std::int64_t length() const { return length_; }
  const std::vector<Key>& keys() const { return keys_; }
  const Key* find(const std::string& name) const;  // nullptr when absent
  const Key& at(const std::string& name) const;    // ValueError naming the file and the key
  // Of the named keys (those the file holds), or of every key when `names` is empty.
  std::uint64_t decoded_bytes(const std::vector<std::string>& names = {}) const;

  // Rows [start, start + count) of a key that is by_rows: [count, ...].
  Tensor read_rows(const Key& key, std::int64_t start, std::int64_t count) const;
  // The whole array (CRC-32 checked).
  NpyArray read(const Key& key) const;
  // The array in blocks of whole rows of about `block_bytes` (memory stays bounded whatever
  // the array's size, compressed or not; a Fortran-order array comes whole). CRC-32 checked
  // for compressed entries once the last block is read.
  void scan(const Key& key, std::uint64_t block_bytes,
            const std::function<void(const Tensor& rows, std::int64_t first_step)>& visit) const;
  // Every key (what load_episode(path()) gives), or only the named ones the file holds.
  Episode load(const std::vector<std::string>& names = {}) const;

 private:
  io::ZipReader open() const;

  std::string path_;
  std::uint64_t size_ = 0;
  std::int64_t length_ = 0;
  std::vector<Key> keys_;
};

}  // namespace aime::data
