// The SUB side shared by the log and status subscriptions: one socket on the broker's subscribe
// port, and a ZeroMQ socket monitor that tells whether anything there accepted the connection.
#pragma once

#include "transport/connection_monitor.hpp"
#include "roc/endpoints.hpp"

#include <zmq.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace roc::detail {

/// A SUB socket connected to `endpoint`, watched by a socket monitor.
///
/// connected() is true from the ZMTP handshake with a peer (a TCP connection alone is not
/// enough: something that is not a ZeroMQ socket may accept it) until that connection drops or
/// a reconnect attempt fails. Events are read while receive() waits, so the state is as fresh as
/// the last receive(). Not thread-safe; movable only through a unique_ptr of its owner.
class Subscriber {
 public:
  using Clock = std::chrono::steady_clock;

  /// Connects (ZeroMQ retries in the background; nothing here waits for a peer). Throws
  /// zmq::error_t for an endpoint ZeroMQ cannot use.
  explicit Subscriber(const Endpoints& broker);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void subscribe(std::string_view prefix);
  /// Never throws: an unsubscribe that fails only means more messages to filter.
  void unsubscribe(std::string_view prefix) noexcept;

  /// Waits until `deadline` for one whole multipart message and puts its frames in `frames`.
  /// False when none came in time, when a signal interrupted the wait (so a caller's loop can
  /// look at its stop flag), or as soon as the link changed (link_changed() then says so).
  bool receive(std::vector<zmq::message_t>& frames, Clock::time_point deadline);

  bool connected() const noexcept { return monitor_->up(); }
  /// Why the last connection attempt failed ("connection refused", "unknown host 'x'"); empty
  /// while connected() and before any attempt failed.
  const std::string& link_failure() const noexcept { return link_failure_; }
  /// Whether connected() changed during the last receive(), or link_failure() was set when it
  /// was empty. Each receive() reports at most one change, so a drop and a reconnect within one
  /// wait are seen as two.
  bool link_changed() const noexcept { return link_changed_; }
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  void read_events();

  std::string endpoint_;
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::unique_ptr<ConnectionMonitor> monitor_;  // before the socket closes: destroyed first
  std::string link_failure_;
  bool link_changed_ = false;
};

}  // namespace roc::detail
