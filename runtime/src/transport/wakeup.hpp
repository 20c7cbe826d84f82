// Waking a thread blocked in zmq::poll from another thread: an inproc PULL socket in the poll
// set, and a short-lived PUSH from whoever wants it to look at its stop flag.
#pragma once

#include "transport/sockets.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace roc::detail {

/// Binds `pull` (an inproc_socket) to a fresh inproc endpoint of its context (names are per context) and returns it.
inline std::string bind_wakeup(zmq::socket_t& pull, const char* what) {
  static std::atomic<unsigned> next{0};
  auto endpoint = std::string("inproc://roc-wakeup-") + what + "-" + std::to_string(next++);
  pull.bind(endpoint);
  return endpoint;
}

/// Sends one empty message to `endpoint`. Never blocks: a lost wake-up only costs the waiting
/// thread its poll timeout, since it also checks a stop flag. Safe from any thread.
inline void send_wakeup(zmq::context_t& context, const std::string& endpoint) {
  try {
    auto push = inproc_socket(context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 100);
    push.connect(endpoint);
    push.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // The context is going away: the poll loop is ending anyway.
  }
}

}  // namespace roc::detail
