#include "algorithms/metrics_log.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "autograd/error.h"
#include "io/atomic_file.h"
#include "io/tensorboard_events.h"

namespace aime::algorithms {

namespace fs = std::filesystem;

std::string format_metric(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

namespace {

// Keeps the header and the rows of steps <= last_step.
void truncate_rows(const std::string& path, std::int64_t last_step, bool csv) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  bool header = csv;
  while (std::getline(in, line)) {
    if (header) {
      kept += line + "\n";
      header = false;
      continue;
    }
    const std::size_t digits = csv ? 0 : line.find(':') + 1;
    const long long step = std::atoll(line.c_str() + digits);
    if (step <= last_step) kept += line + "\n";
  }
  io::write_file_atomically(path, [&](std::ostream& out) { out << kept; });
}

std::string names_of(const std::map<std::string, double>& values) {
  std::string out = "step";
  for (const auto& [k, v] : values) out += "," + k;
  return out;
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path, const std::string& format_list, std::int64_t resume_step) : path_(path) {
  const std::size_t comma = format_list.find(',');
  const std::string format = format_list.substr(0, comma);
  const std::string extra = comma == std::string::npos ? "" : format_list.substr(comma + 1);
  if ((format != "csv" && format != "jsonl") || (!extra.empty() && extra != "tensorboard"))
    throw ValueError(path + ": metrics format must be csv or jsonl, optionally with ,tensorboard (csv,tensorboard), got '" +
                     format_list + "'");
  csv_ = format == "csv";
  if (!extra.empty()) events_ = std::make_unique<io::EventFileWriter>(fs::path(path).parent_path().string());
  if (resume_step > 0 && fs::exists(path)) {
    truncate_rows(path, resume_step, csv_);
    if (csv_) {
      std::ifstream in(path);
      std::getline(in, columns_);
    }
  } else if (fs::exists(path)) {
    fs::remove(path);
  }
  need_header_ = csv_ && columns_.empty();
  out_.open(path, std::ios::app);
  if (!out_) throw Error(path + ": cannot open for writing");
}

void MetricsLog::write(std::int64_t step, const std::map<std::string, double>& values) {
  if (csv_) {
    const std::string names = names_of(values);
    if (need_header_) {
      columns_ = names;
      out_ << names << "\n";
      need_header_ = false;
    } else if (names != columns_) {
      throw ValueError(path_ + ": step " + std::to_string(step) + " has columns '" + names + "', the file has '" +
                       columns_ + "'");
    }
    out_ << step;
    for (const auto& [k, v] : values) out_ << "," << format_metric(v);
  } else {
    out_ << "{\"step\":" << step;
    for (const auto& [k, v] : values) out_ << ",\"" << k << "\":" << format_metric(v);
    out_ << "}";
  }
  out_ << "\n";
  out_.flush();
  if (events_)
    for (const auto& [k, v] : values) events_->add_scalar(k, step, v);
}

void MetricsLog::write_image(std::int64_t step, const std::string& tag, const std::string& png, int height, int width) {
  if (events_) events_->add_image(tag, step, png, height, width, 3);
}

MetricsLog::~MetricsLog() = default;

}  // namespace aime::algorithms
