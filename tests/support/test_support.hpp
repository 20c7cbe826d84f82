// Helpers shared by the tests: waiting on conditions with a deadline instead of sleeping.
#pragma once

#include <roc/server.hpp>

#include <chrono>
#include <functional>

namespace roc::test {

/// A base port on 127.0.0.1 with the two above it free too (a broker's calls, publish and
/// subscribe ports): nothing listens there, so connections are refused until a broker is started
/// on it. Found by binding for a moment.
unsigned free_base_port();

/// Polls `condition` every millisecond until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// How much slower than a normal build this one runs: latency bounds in tests scale by it.
/// ThreadSanitizer instruments every memory access (5-15x); a normal build is 1.
#if defined(__SANITIZE_THREAD__)
inline constexpr int sanitizer_slowdown = 10;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr int sanitizer_slowdown = 10;
#else
inline constexpr int sanitizer_slowdown = 1;
#endif
#else
inline constexpr int sanitizer_slowdown = 1;
#endif

/// Server options for tests: heartbeats every 100 ms and a quick reconnect, so losing and finding
/// a broker takes a fraction of a second.
inline roc::ServerOptions fast_server() {
  roc::ServerOptions options;
  options.heartbeat_interval = std::chrono::milliseconds(100);
  options.reconnect_delay = std::chrono::milliseconds(20);
  return options;
}

/// Whether this build runs under AddressSanitizer or ThreadSanitizer. Their allocators keep freed
/// memory in quarantine and shadow every byte, so a process's resident size says little about
/// roc: memory bounds are checked in normal builds only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

}  // namespace roc::test
