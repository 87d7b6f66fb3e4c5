// Atomic file writes: the bytes go to a temporary file next to the target, are flushed to
// disk, and the temporary is renamed over the target, so a reader (or a crash) sees either
// the old file or the complete new one, never a torn checkpoint.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace aime::io {

// Calls write(stream) on a temporary file in path's directory, then renames it to path.
// Throws aime::Error naming the file on any I/O failure (and removes the temporary).
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace aime::io
