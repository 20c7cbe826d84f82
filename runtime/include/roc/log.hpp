// Central logging (docs/observability.md): an spdlog sink publishing every record of the process to the
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


}  // namespace roc::log

namespace roc::detail {
// install() calls the one of these that matches how the calling program sees spdlog, and the
// runtime defines only the one that matches its own build. A program compiled without the
// runtime's spdlog definitions (SPDLOG_COMPILED_LIB: spdlog as a library, not header-only) gets
// a registry of its own once optimized, which the sink is never added to: every record would be
// lost without a word. With this it fails to link instead. Compile with roc::runtime in CMake or
// `pkg-config --cflags --libs roc` (docs/your-own-project.md).
std::shared_ptr<log::Sink> install_log_sink_into_spdlog_library(const Endpoints& endpoints, std::string_view node,
                                                               log::Options options);
std::shared_ptr<log::Sink> install_log_sink_into_header_only_spdlog(const Endpoints& endpoints,
                                                                   std::string_view node, log::Options options);
}  // namespace roc::detail

namespace roc::log {

/// Creates a Sink and adds it to the default logger and to every logger in spdlog's registry.
/// Loggers created later do not get it by themselves: add `roc::log::sink()` to them. A second
/// install() replaces the first sink. Throws std::invalid_argument when `node` is empty or holds
/// a '.'; zmq::error_t propagates when the endpoint cannot be used. Changes the loggers' sink
/// lists, which spdlog does not guard: call it before other threads log (and uninstall() after
/// they stop). Safe against concurrent install()/uninstall() calls.
inline std::shared_ptr<Sink> install(const Endpoints& endpoints, std::string_view node, Options options = {}) {
#ifdef SPDLOG_COMPILED_LIB
  return roc::detail::install_log_sink_into_spdlog_library(endpoints, node, options);
#else
  return roc::detail::install_log_sink_into_header_only_spdlog(endpoints, node, options);
#endif
}

/// Removes the installed sink from every logger, waits up to `drain` for queued records to
/// leave, and stops its thread. Does nothing when none is installed.
void uninstall(std::chrono::milliseconds drain = std::chrono::milliseconds(1000));

/// The installed sink, or nullptr.
std::shared_ptr<Sink> sink();

/// Records dropped by the installed sink (0 when none).
std::uint64_t dropped();

}  // namespace roc::log
