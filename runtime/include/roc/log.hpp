// Central logging (DESIGN §3.3): an spdlog sink publishing every record of the process to the
// broker as topic `log.<level>.<node>` with a JSON body.
#pragma once

#include <roc/endpoints.hpp>

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace roc::log {

/// Options of the publishing sink.
struct Options {
  /// Records waiting for the network thread; beyond this, records are dropped and counted.
  std::size_t queue_capacity = 16384;
};

/// The spdlog sink. Each record is copied into a bounded queue in the caller's thread (no
/// formatting, no I/O, no waiting on the network); a background thread owning the socket
/// serializes and sends it. When the queue or the socket's buffer is full the record is dropped
/// and counted. log() never throws. Records are held until the broker has connected, so those
/// logged right after install() are not lost.
///
/// The body: {"ts": ISO-8601 UTC with microseconds, "level": spdlog's level name, "node",
/// "logger", "msg", "file" (null when unknown), "line", "thread"}.
class Sink final : public spdlog::sinks::sink {
 public:
  Sink(const Endpoints& endpoints, std::string node, Options options = {});
  ~Sink() override;

  void log(const spdlog::details::log_msg& msg) override;
  /// Does nothing: spdlog may call it in the caller's thread (flush_on), which must not wait.
  /// Use drain() to wait for delivery.
  void flush() override {}
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  /// Records dropped so far because the queue or the socket was full.
  std::uint64_t dropped() const noexcept;
  /// Waits until the broker is connected and every queued record was handed to the network;
  /// false after `timeout`.
  bool drain(std::chrono::milliseconds timeout) const;
  const std::string& node() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Creates a Sink and adds it to the default logger and to every logger in spdlog's registry.
/// Loggers created later do not get it by themselves: add `roc::log::sink()` to them. A second
/// install() replaces the first sink. Throws std::invalid_argument when `node` is empty or holds
/// a '.'; zmq::error_t propagates when the endpoint cannot be used. Changes the loggers' sink
/// lists, which spdlog does not guard: call it before other threads log (and uninstall() after
/// they stop). Safe against concurrent install()/uninstall() calls.
std::shared_ptr<Sink> install(const Endpoints& endpoints, std::string_view node, Options options = {});

/// Removes the installed sink from every logger, waits up to `drain` for queued records to
/// leave, and stops its thread. Does nothing when none is installed.
void uninstall(std::chrono::milliseconds drain = std::chrono::milliseconds(1000));

/// The installed sink, or nullptr.
std::shared_ptr<Sink> sink();

/// Records dropped by the installed sink (0 when none).
std::uint64_t dropped();

}  // namespace roc::log
