// Waking a thread blocked in zmq::poll from another thread: an inproc PULL socket in the poll
// set, and a short-lived PUSH from whoever wants it to look at its stop flag.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace roc::detail {

/// Binds `pull` to a fresh inproc endpoint of its context (names are per context) and returns it.
inline std::string bind_wakeup(zmq::socket_t& pull, const char* what) {
  static std::atomic<unsigned> next{0};
  auto endpoint = std::string("inproc://roc-wakeup-") + what + "-" + std::to_string(next++);
  pull.set(zmq::sockopt::linger, 0);
  pull.bind(endpoint);
  return endpoint;
}

/// Sends one empty message to `endpoint`. Never blocks: a lost wake-up only costs the waiting
/// thread its poll timeout, since it also checks a stop flag. Safe from any thread.
inline void send_wakeup(zmq::context_t& context, const std::string& endpoint) {
  try {
    zmq::socket_t push(context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 100);
    push.connect(endpoint);
    push.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // The context is going away: the poll loop is ending anyway.
  }
}

}  // namespace roc::detail
