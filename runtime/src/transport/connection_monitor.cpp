// ConnectionMonitor: ZeroMQ's socket events read into up / lost / attempt failed (see the header).
#include "transport/connection_monitor.hpp"

#include "transport/sockets.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace roc::detail {
namespace {

constexpr int watched_events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                ZMQ_EVENT_CONNECT_RETRIED;

// Inproc names are per context, and a context holds many monitored sockets (one per client thread).
std::string next_monitor_address() {
  static std::atomic<unsigned> next{0};
  return "inproc://roc-connection-monitor-" + std::to_string(next++);
}

/// The host of `tcp://host:port` (brackets of an IPv6 literal removed); empty for other transports.
std::string host_of(const std::string& endpoint) {
  constexpr std::string_view tcp = "tcp://";
  if (endpoint.compare(0, tcp.size(), tcp) != 0) return {};
  auto rest = endpoint.substr(tcp.size());
  const auto colon = rest.rfind(':');
  if (colon != std::string::npos) rest.resize(colon);
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
  return rest;
}

}  // namespace

std::string unreachable_reason(const std::string& endpoint) {
  const auto host = host_of(endpoint);
  if (host.empty()) return "connection refused";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  if (rc == 0) return "connection refused";
  if (rc == EAI_AGAIN) return "cannot resolve host '" + host + "' now: " + ::gai_strerror(rc);
  return "unknown host '" + host + "'";
}

ConnectionMonitor::ConnectionMonitor(zmq::context_t& context, zmq::socket_t& socket, std::string endpoint)
    : socket_(socket), endpoint_(std::move(endpoint)), monitor_(inproc_socket(context, zmq::socket_type::pair)) {
  // Unbounded: an inproc pipe's limit is the sum of both ends' and none when either is 0. A full
  // monitor pipe would stall the I/O thread that writes the events, and the socket with it.
  monitor_.set(zmq::sockopt::rcvhwm, 0);
  const auto address = next_monitor_address();
  if (zmq_socket_monitor(socket_.handle(), address.c_str(), watched_events) != 0) throw zmq::error_t();
  monitor_.connect(address);
}

ConnectionMonitor::~ConnectionMonitor() {
  // Stops the monitor before its sockets go, so that it never writes to a closed pair.
  zmq_socket_monitor(socket_.handle(), nullptr, 0);
}

std::string ConnectionMonitor::failure_reason() {
  if (outage_reason_.empty()) outage_reason_ = unreachable_reason(endpoint_);
  return outage_reason_;
}

std::optional<LinkEvent> ConnectionMonitor::next() {
  // Each event is two frames: 6 bytes (uint16 event, uint32 value) and the peer's address.
  while (true) {
    zmq::message_t event;
    if (!receive_now(monitor_, event)) return std::nullopt;
    for (bool more = event.more(); more;) {
      zmq::message_t rest;
      more = receive_rest(monitor_, rest) && rest.more();
    }
    if (event.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    switch (id) {
      case ZMQ_EVENT_CONNECTED:
        reached_ = true;
        break;
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        up_ = true;
        outage_reason_.clear();
        failure_.clear();
        return LinkEvent{LinkEvent::Kind::up, {}};
      case ZMQ_EVENT_DISCONNECTED:
        if (!up_) break;  // a handshake that failed: the port was reached
        up_ = false;
        failure_.clear();
        return LinkEvent{LinkEvent::Kind::lost, "lost the connection"};
      case ZMQ_EVENT_CONNECT_RETRIED: {
        const bool reached = reached_;
        reached_ = false;
        if (!reached) {
          failure_ = failure_reason();
          return LinkEvent{LinkEvent::Kind::attempt_failed, failure_};
        }
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace roc::detail
