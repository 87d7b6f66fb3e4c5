// MetricsLog: one row of named numbers per training step, appended to metrics.csv (a header
// of the first row's names, then values) or metrics.jsonl (one object per line), flushed
// after every row so a killed run keeps what it logged. With resume_step > 0 the rows of
// later steps (logged after the last checkpoint of a killed run) are dropped first, so the
// resumed run writes them again; with 0 an existing file is replaced.
#pragma once
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>

namespace aime::io {
class EventFileWriter;
}

namespace aime::algorithms {

class MetricsLog {
 public:
  // format: "csv" or "jsonl", optionally with ",tensorboard" (e.g. "csv,tensorboard"):
  // every row also goes, one scalar per name, to a TensorBoard event file in path's folder
  // (io/tensorboard_events.h; `tensorboard --logdir` on the folder, or on its parent to
  // compare runs). ValueError otherwise.
  MetricsLog(const std::string& path, const std::string& format = "csv", std::int64_t resume_step = 0);
  ~MetricsLog();
  // Appends step's row; a CSV takes the first row's columns (later rows must have the same
  // names: ValueError naming the missing or extra one).
  void write(std::int64_t step, const std::map<std::string, double>& values);
  const std::string& path() const { return path_; }
  // With tensorboard: a PNG image (e.g. a prediction grid) at `step`; nothing otherwise.
  void write_image(std::int64_t step, const std::string& tag, const std::string& png, int height, int width);
  bool tensorboard() const { return events_ != nullptr; }

 private:
  std::unique_ptr<io::EventFileWriter> events_;
  std::string path_;
  bool csv_;
  bool need_header_;
  std::string columns_;
  std::ofstream out_;
};

// "%.9g": enough digits to read a float32 back exactly.
std::string format_metric(double value);

}  // namespace aime::algorithms
