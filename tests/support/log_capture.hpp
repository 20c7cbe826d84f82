// Reading what roc logged: a ring buffer added to spdlog's default logger for a test's length.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <string>

namespace roc::test {

/// Captures what roc logs through spdlog's default logger while it lives. Declare it before
/// whatever logs (brokers, servers), so that it outlives their threads: removing a sink while
/// another thread logs is a race spdlog does not guard against.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// Lines among the last 1000 that contain `text`.
  int count(const std::string& text) const {
    int n = 0;
    for (const auto& line : sink_->last_formatted()) n += line.find(text) != std::string::npos;
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace roc::test
