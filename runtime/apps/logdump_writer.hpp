// roc-logdump's file side: appends JSON lines to `<dir>/<prefix>-<YYYY-MM-DD>.<n>.jsonl`, starting
// a new file when the current one would pass a size limit or when the (UTC) day changes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace roc::logdump {

/// Not thread-safe. Throws std::system_error when the directory or a file cannot be opened.
class RotatingWriter {
 public:
  /// The current day as `YYYY-MM-DD` (UTC by default; replaceable for tests).
  using DayFn = std::function<std::string()>;

  /// Resumes the newest file of today in `dir` (created when missing) when there is room.
  RotatingWriter(std::filesystem::path dir, std::string prefix, std::uint64_t max_bytes, DayFn day = utc_day);
  ~RotatingWriter();
  RotatingWriter(const RotatingWriter&) = delete;
  RotatingWriter& operator=(const RotatingWriter&) = delete;

  /// Appends `line` and a newline. A line longer than max_bytes gets a file of its own.
  void write(std::string_view line);
  /// Hands buffered lines to the OS.
  void flush();

  const std::filesystem::path& current() const noexcept { return path_; }
  static std::string utc_day();

 private:
  void open(const std::string& day, int index);

  std::filesystem::path dir_;
  std::string prefix_;
  std::uint64_t max_bytes_;
  DayFn day_;
  std::string current_day_;
  int index_ = 0;
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace roc::logdump
