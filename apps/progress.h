// A one-line progress bar with rate and ETA on stderr (redrawn in place on a terminal,
// printed every 10% otherwise so that logs stay short).
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace aime::app {

class ProgressBar {
 public:
  ProgressBar(std::int64_t total, std::string unit)
      : total_(total), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()), tty_(isatty(2)) {}

  void update(std::int64_t done) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    const int width = 30, filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    const std::int64_t decile = total_ > 0 ? 10 * done / total_ : 10;
    if (!tty_ && decile == last_decile_ && done != total_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s[%s%s] %lld/%lld %s  %.2f %s/s  ETA %.0fs%s", tty_ ? "\r" : "",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), static_cast<long long>(done),
                 static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str(), eta, tty_ ? "" : "\n");
    if (tty_ && done == total_) std::fprintf(stderr, "\n");
  }

 private:
  std::int64_t total_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_;
  bool tty_;
  std::int64_t last_decile_ = -1;
};

}  // namespace aime::app
