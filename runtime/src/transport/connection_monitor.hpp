// The one watcher of a socket's connection to the broker, shared by the client's DEALERs, the
// worker's DEALER and the SUB of log and status subscriptions: a ZeroMQ socket monitor read into
// "up", "lost" and "an attempt failed, and why".
#pragma once

#include <zmq.hpp>

#include <optional>
#include <string>

namespace roc::detail {

/// What happened to the connection.
struct LinkEvent {
  enum class Kind {
    up,              ///< the ZMTP handshake with the broker succeeded
    lost,            ///< a connection that was up dropped (reason: "lost the connection")
    attempt_failed,  ///< an attempt never reached the broker's port (reason: why)
  };
  Kind kind;
  std::string reason;
};

/// Watches one socket that connects to one endpoint.
///
/// An attempt fails when ZeroMQ schedules a retry without a TCP connection having been made
/// since the last one: nothing listens there ("connection refused") or the host name does not
/// resolve ("unknown host 'x'", found out with getaddrinfo, once per outage). A connection that
/// is made and then refused in the handshake (CURVE: a key the broker does not admit) is not an
/// unreachable broker: it yields no event, and a caller waits as before.
///
/// Events wait in an inproc queue until next() reads them; it has no bound, so that ZeroMQ's I/O
/// thread can never block on a monitor nobody reads (a socket idle through a long outage queues
/// ~10 small events a second). Not thread-safe: the thread that uses the socket reads it.
class ConnectionMonitor {
 public:
  /// Starts watching `socket`, which must not be connected yet so that no event of the first
  /// attempt is missed. `endpoint` is what it will connect to. The monitor must be destroyed
  /// before the socket. Throws zmq::error_t when ZeroMQ cannot set it up.
  ConnectionMonitor(zmq::context_t& context, zmq::socket_t& socket, std::string endpoint);
  ~ConnectionMonitor();
  ConnectionMonitor(const ConnectionMonitor&) = delete;
  ConnectionMonitor& operator=(const ConnectionMonitor&) = delete;

  /// For a zmq::poll set: readable when an event waits.
  zmq::pollitem_t poll_item() noexcept { return {monitor_.handle(), 0, ZMQ_POLLIN, 0}; }

  /// Reads events without waiting until one says something new; nullopt when none does. One
  /// event per call: the rest wait for the next call, so a drop and a reconnect are both seen.
  std::optional<LinkEvent> next();

  /// Whether the handshake succeeded and the connection has not dropped since (as of the last
  /// next() that returned something).
  bool up() const noexcept { return up_; }
  /// Why the last attempt failed, while no connection has been made since (as of the last
  /// next()); empty otherwise. Attempts repeat every 100-200 ms, so a failure read after all
  /// queued events is that recent.
  const std::string& failure() const noexcept { return failure_; }
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  std::string failure_reason();

  zmq::socket_t& socket_;
  std::string endpoint_;
  zmq::socket_t monitor_;
  bool up_ = false;
  bool reached_ = false;        // a TCP connection was made since the last retry
  std::string outage_reason_;   // why attempts fail in this outage; empty: not known yet
  std::string failure_;
};

/// Why a connection to `endpoint` fails: "unknown host 'x'" when its host name does not
/// resolve, else "connection refused".
std::string unreachable_reason(const std::string& endpoint);

}  // namespace roc::detail
