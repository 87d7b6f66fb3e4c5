#include "io/tensorboard_events.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "autograd/error.h"
#include "io/crc32c.h"

namespace aime::io {

namespace {

// Protocol buffer wire format (https://protobuf.dev/programming-guides/encoding/): a key
// (field number << 3 | wire type), then a varint (type 0), 8 bytes (type 1), a length and
// the bytes (type 2) or 4 bytes (type 5), little-endian.
void varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void key(std::string& out, int field, int wire_type) { varint(out, static_cast<std::uint64_t>(field) << 3 | wire_type); }
void field_varint(std::string& out, int field, std::uint64_t v) {
  key(out, field, 0);
  varint(out, v);
}
void field_bytes(std::string& out, int field, const std::string& bytes) {
  key(out, field, 2);
  varint(out, bytes.size());
  out += bytes;
}
template <class T>
void little_endian(std::string& out, T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // x86-64 and aarch64 are little-endian, as the format is
  out.append(reinterpret_cast<const char*>(b), sizeof(T));
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string summary_with(const std::string& value) {
  std::string summary;
  field_bytes(summary, 1, value);
  return summary;
}

}  // namespace

std::string EventFileWriter::frame_record(const std::string& data) {
  std::string out;
  const std::uint64_t length = data.size();
  little_endian(out, length);
  little_endian(out, mask_crc32c(crc32c(out.data(), 8)));
  out += data;
  little_endian(out, mask_crc32c(crc32c(data.data(), data.size())));
  return out;
}

EventFileWriter::EventFileWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  const auto seconds = static_cast<long long>(wall_time());
  path_ = (std::filesystem::path(dir) / ("events.out.tfevents." + std::to_string(seconds) + "." + host + "." +
                                         std::to_string(static_cast<long long>(getpid()))))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(path_ + ": cannot open the TensorBoard event file for writing");
  write_event(0, "brain.Event:2", true);
}

void EventFileWriter::write_event(std::int64_t step, const std::string& payload, bool is_version) {
  std::string event;
  key(event, 1, 1);
  little_endian(event, wall_time());
  field_varint(event, 2, static_cast<std::uint64_t>(step));  // int64: two's complement as a varint
  field_bytes(event, is_version ? 3 : 5, payload);
  out_ << frame_record(event);
  out_.flush();
  if (!out_) throw Error(path_ + ": writing the TensorBoard event file failed (disk full?)");
}

void EventFileWriter::add_scalar(const std::string& tag, std::int64_t step, double value) {
  std::string v;
  field_bytes(v, 1, tag);
  key(v, 2, 5);
  little_endian(v, static_cast<float>(value));
  write_event(step, summary_with(v), false);
}

void EventFileWriter::add_image(const std::string& tag, std::int64_t step, const std::string& png, int height, int width,
                                int channels) {
  std::string image;
  field_varint(image, 1, static_cast<std::uint64_t>(height));
  field_varint(image, 2, static_cast<std::uint64_t>(width));
  field_varint(image, 3, static_cast<std::uint64_t>(channels));
  field_bytes(image, 4, png);
  std::string v;
  field_bytes(v, 1, tag);
  field_bytes(v, 4, image);
  write_event(step, summary_with(v), false);
}

}  // namespace aime::io
