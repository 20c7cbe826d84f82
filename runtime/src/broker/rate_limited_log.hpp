// Rate-limited warnings for the broker: a peer flooding it with garbage must not flood the log.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace roc::detail {

/// Bytes a peer sent, fit for a log line: printable ASCII as it is (up to 64), anything else in
/// hex (up to 32 bytes), so that no peer can write control characters into the broker's log.
inline std::string loggable(std::string_view bytes) {
  const bool printable = !bytes.empty() && std::all_of(bytes.begin(), bytes.end(), [](char c) {
    return c >= 0x20 && c < 0x7f;
  });
  if (printable) return std::string(bytes.substr(0, 64));
  std::string hex;
  for (unsigned char c : bytes.substr(0, 32)) hex += fmt::format("{:02x}", c);
  return hex;
}

/// Lets at most `burst` warnings through per `window`; the rest are counted and summarized in
/// one line when the next window opens. Not thread-safe: one per thread.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(int burst = 20, std::chrono::milliseconds window = std::chrono::seconds(1))
      : burst_(burst), window_(window), window_start_(std::chrono::steady_clock::now()) {}

  template <class... Args>
  void warn(spdlog::format_string_t<Args...> format, Args&&... args) {
    if (admit()) spdlog::warn(format, std::forward<Args>(args)...);
  }

  /// The same budget for lines worth less than a warning (e.g. each key the broker admits).
  template <class... Args>
  void info(spdlog::format_string_t<Args...> format, Args&&... args) {
    if (admit()) spdlog::info(format, std::forward<Args>(args)...);
  }

  /// Lines suppressed since this object was made.
  std::uint64_t suppressed_total() const noexcept { return suppressed_total_; }

 private:
  bool admit() {
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= window_) {
      if (suppressed_ > 0)
        spdlog::warn("broker: {} more lines of this kind suppressed in the last {} ms", suppressed_,
                     std::chrono::duration_cast<std::chrono::milliseconds>(now - window_start_).count());
      window_start_ = now;
      in_window_ = 0;
      suppressed_ = 0;
    }
    if (in_window_ < burst_) {
      ++in_window_;
      return true;
    }
    ++suppressed_;
    ++suppressed_total_;
    return false;
  }

  int burst_;
  std::chrono::milliseconds window_;
  std::chrono::steady_clock::time_point window_start_;
  int in_window_ = 0;
  std::uint64_t suppressed_ = 0;
  std::uint64_t suppressed_total_ = 0;
};

}  // namespace roc::detail
