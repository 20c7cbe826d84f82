// Subscriber: the SUB socket and its connection monitor (see subscriber.hpp).
#include "transport/subscriber.hpp"

#include "transport/sockets.hpp"

#include <cerrno>

namespace roc::detail {

namespace {

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
      socket_(broker_socket(context_, zmq::socket_type::sub, broker, broker.credentials())) {
  socket_.set(zmq::sockopt::rcvhwm, 100000);  // a burst must not overflow a reader that keeps up
  // A broker whose host vanished sends no FIN: heartbeats notice it, so connected() turns false.
  socket_.set(zmq::sockopt::heartbeat_ivl, 2000);
  socket_.set(zmq::sockopt::heartbeat_timeout, 6000);
  monitor_ = std::make_unique<ConnectionMonitor>(context_, socket_, endpoint_);
  socket_.connect(endpoint_);
}

Subscriber::~Subscriber() { monitor_.reset(); }

void Subscriber::subscribe(std::string_view prefix) { socket_.set(zmq::sockopt::subscribe, prefix); }

void Subscriber::unsubscribe(std::string_view prefix) noexcept {
  try {
    socket_.set(zmq::sockopt::unsubscribe, prefix);
  } catch (const zmq::error_t&) {
  }
}

void Subscriber::read_events() {
  // One change at a time: the rest waits in the monitor's queue for the next call, so a caller
  // sees a drop and a reconnect even when both happened during one wait.
  while (auto event = monitor_->next()) {
    if (event->kind == LinkEvent::Kind::attempt_failed) {
      // The first failure of an outage is news (a watcher may give up); the retries are not.
      const bool news = link_failure_.empty();
      link_failure_ = event->reason;
      if (!news) continue;
      link_changed_ = true;
      return;
    }
    link_failure_.clear();
    link_changed_ = true;
    return;
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
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, monitor_->poll_item()};
    try {
      zmq::poll(items, 2, wait);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return false;
      throw;
    }
  }
}

}  // namespace roc::detail
