// TensorBoard event files, written without TensorFlow: `tensorboard --logdir DIR` reads them.
// A file is a sequence of TFRecords (tensorflow/core/lib/io/record_writer.cc):
//   uint64 length (little-endian) | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
// (io/crc32c.h), each record one serialized protobuf `Event`
// (tensorflow/core/util/event.proto, summary.proto), encoded here by hand with only the
// fields TensorBoard reads:
//   Event    { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary  { repeated Value value = 1; }
//   Value    { string tag = 1; float simple_value = 2; Image image = 4; }
//   Image    { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
// The first record says the format version, "brain.Event:2". Each write is flushed, so a
// killed run keeps what it logged and TensorBoard shows a live run.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace aime::io {

class EventFileWriter {
 public:
  // Creates `dir` if needed and a new file in it, events.out.tfevents.<seconds>.<host>.<pid>
  // (TensorBoard reads every file whose name holds "tfevents"; a resumed run starts another
  // one, and TensorBoard merges them by step). Throws aime::Error naming the file.
  explicit EventFileWriter(const std::string& dir);
  const std::string& path() const { return path_; }

  void add_scalar(const std::string& tag, std::int64_t step, double value);
  // A PNG image (its bytes as written, e.g. by data/png.h) of `height` x `width` pixels
  // with `channels` (1 grey, 3 RGB, 4 RGBA).
  void add_image(const std::string& tag, std::int64_t step, const std::string& png, int height, int width,
                 int channels = 3);

  // The record framing alone (for tests and other record files).
  static std::string frame_record(const std::string& data);

 private:
  void write_event(std::int64_t step, const std::string& summary_or_version, bool is_version);
  std::string path_;
  std::ofstream out_;
};

}  // namespace aime::io
