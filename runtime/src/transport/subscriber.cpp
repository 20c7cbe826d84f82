// Subscriber: the SUB socket and its connection monitor (see subscriber.hpp).
#include "transport/subscriber.hpp"

#include "transport/sockets.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace roc::detail {

namespace {

// The context is this subscriber's own, so one fixed name cannot collide.
constexpr const char* monitor_address = "inproc://roc-subscriber-monitor";

constexpr int watched_events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED |
                                ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

/// Receives one frame without waiting; false when none is there. A signal can interrupt even a
/// non-blocking receive (libzmq looks at its command mailbox first): that counts as "nothing
/// now", so a program's signal handler gets its loop back instead of an exception.
bool receive_now(zmq::socket_t& socket, zmq::message_t& frame) {
  try {
    return socket.recv(frame, zmq::recv_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
}

/// The next frame of a multipart message: already there (ZeroMQ delivers the parts at once), so
/// an interrupted receive is tried again rather than cut the message in two.
bool receive_rest(zmq::socket_t& socket, zmq::message_t& frame) {
  for (int attempt = 0; attempt < 100; ++attempt)
    if (receive_now(socket, frame)) return true;
  return false;
}

/// Reads one whole multipart message without waiting; false when none is there.
bool read_message(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
  frames.clear();
  zmq::message_t m;
  if (!receive_now(socket, m)) return false;
  bool more = m.more();
  frames.push_back(std::move(m));
  while (more) {
    zmq::message_t part;
    if (!receive_rest(socket, part)) break;
    more = part.more();
    frames.push_back(std::move(part));
  }
  return true;
}

}  // namespace

Subscriber::Subscriber(const Endpoints& broker)
    : endpoint_(broker.subscribe()),
      socket_(broker_socket(context_, zmq::socket_type::sub, broker, broker.credentials())),
      monitor_(inproc_socket(context_, zmq::socket_type::pair)) {
  socket_.set(zmq::sockopt::rcvhwm, 100000);  // a burst must not overflow a reader that keeps up
  // A broker whose host vanished sends no FIN: heartbeats notice it, so connected() turns false.
  socket_.set(zmq::sockopt::heartbeat_ivl, 2000);
  socket_.set(zmq::sockopt::heartbeat_timeout, 6000);
  // The monitor is attached before connect() so that no event of the first attempt is missed.
  if (zmq_socket_monitor(socket_.handle(), monitor_address, watched_events) != 0) throw zmq::error_t();
  monitor_.connect(monitor_address);
  socket_.connect(endpoint_);
}

Subscriber::~Subscriber() {
  // Stops the monitor before its sockets go, so it never writes to a closed pair.
  zmq_socket_monitor(socket_.handle(), nullptr, 0);
}

void Subscriber::subscribe(std::string_view prefix) { socket_.set(zmq::sockopt::subscribe, prefix); }

void Subscriber::unsubscribe(std::string_view prefix) noexcept {
  try {
    socket_.set(zmq::sockopt::unsubscribe, prefix);
  } catch (const zmq::error_t&) {
  }
}

void Subscriber::read_events() {
  // Each event is two frames: 6 bytes (uint16 event, uint32 value) and the peer's address.
  while (true) {
    zmq::message_t event;
    if (!receive_now(monitor_, event)) return;
    while (event.more()) {
      zmq::message_t rest;
      if (!receive_rest(monitor_, rest)) break;
      if (!rest.more()) break;
    }
    if (event.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    const bool up = id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    if (up != connected_) {
      // One change at a time: the rest waits in the monitor's queue for the next call, so a
      // caller sees a drop and a reconnect even when both happened during one wait.
      connected_ = up;
      link_changed_ = true;
      return;
    }
  }
}

bool Subscriber::receive(std::vector<zmq::message_t>& frames, Clock::time_point deadline) {
  link_changed_ = false;
  while (true) {
    if (read_message(socket_, frames)) {
      // Read after the message: the handshake's event may have come with the first one.
      read_events();
      return true;
    }
    read_events();
    if (link_changed_) return false;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (wait.count() <= 0) return false;
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, wait);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return false;
      throw;
    }
  }
}

}  // namespace roc::detail
