// XSUB/XPUB forwarding for logs and status, with hooks for the status cache (see relay.hpp).
#include "broker/relay.hpp"

#include "transport/sockets.hpp"
#include "transport/wakeup.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cstring>
#include <iterator>

namespace roc::detail {
namespace {

// Messages handled per socket before the other socket and the stop signal get a turn.
constexpr int batch = 1000;
constexpr std::chrono::milliseconds idle_poll{500};  // a fallback only: stop() wakes the poll

}  // namespace

Relay::Relay(zmq::context_t& context, const std::string& publish_endpoint, const std::string& subscribe_endpoint,
             bool ipv6, const BrokerOptions& options, const KeyringHolder* keys)
    : context_(context),
      keys_(keys),
      xsub_(broker_side_socket(context, zmq::socket_type::xsub, ipv6, options)),
      xpub_(broker_side_socket(context, zmq::socket_type::xpub, ipv6, options)),
      wake_(inproc_socket(context, zmq::socket_type::pull)),
      inbox_(inproc_socket(context, zmq::socket_type::pull)),
      status_(options.status_stale_after) {
  // A status subscriber that loses an update holds a wrong tree until that value changes again,
  // and the relay thread can outrun its own I/O thread in a burst: room for bursts per subscriber
  // (at worst ~100k messages of a few hundred bytes each for a subscriber that stopped reading).
  xpub_.set(zmq::sockopt::sndhwm, 100000);
  // Watching before binding: no connection is accepted unseen. The endpoint is unique to this
  // relay, as the broker may make another in the same context when a port turns out busy (and
  // a closed socket's inproc name may linger until ZeroMQ reaps it, so not by address).
  static std::atomic<std::uint64_t> relays{0};
  const auto monitor_endpoint = fmt::format("inproc://roc-relay-monitor-{}", ++relays);
  if (zmq_socket_monitor(xsub_.handle(), monitor_endpoint.c_str(), ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0)
    throw zmq::error_t();
  monitor_ = inproc_socket(context, zmq::socket_type::pair);
  monitor_.connect(monitor_endpoint);
  xsub_.bind(publish_endpoint);
  xpub_.bind(subscribe_endpoint);
  // The cache needs every status update even when no subscriber wants it yet; XSUB resends
  // this to each publisher that connects, and refcounts it against subscribers' unsubscribes.
  const std::string status_subscription = std::string(1, '\x01') + std::string(StatusCache::upstream_subscription);
  xsub_.send(zmq::buffer(status_subscription));
  wake_endpoint_ = bind_wakeup(wake_, "relay");
  inbox_endpoint_ = bind_wakeup(inbox_, "relay-inbox");
}

Relay::~Relay() {
  stop();
  zmq_socket_monitor(xsub_.handle(), nullptr, 0);
}

void Relay::start() { thread_ = std::thread([this] { run(); }); }

void Relay::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  send_wakeup(context_, wake_endpoint_);
  thread_.join();
}

void Relay::run() {
  zmq::pollitem_t items[] = {{xsub_.handle(), 0, ZMQ_POLLIN, 0},
                             {xpub_.handle(), 0, ZMQ_POLLIN, 0},
                             {wake_.handle(), 0, ZMQ_POLLIN, 0},
                             {monitor_.handle(), 0, ZMQ_POLLIN, 0},
                             {inbox_.handle(), 0, ZMQ_POLLIN, 0}};
  Frames message;
  while (!stopping_) {
    try {
      const auto now = StatusCache::Clock::now();
      const auto check = status_.next_check();
      auto timeout = idle_poll;
      if (check != StatusCache::Clock::time_point::max())
        timeout = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(check - now), std::chrono::milliseconds(0),
                             idle_poll);
      zmq::poll(items, 5, timeout);
      if (items[2].revents & ZMQ_POLLIN) break;
      if (items[3].revents & ZMQ_POLLIN) read_connection_events();
      send_notices(status_.on_timer(StatusCache::Clock::now()));
      if (items[0].revents & ZMQ_POLLIN) {
        read_connection_events();
        for (int i = 0; i < batch; ++i) {
          message.clear();
          if (!zmq::recv_multipart(xsub_, std::back_inserter(message), zmq::recv_flags::dontwait)) break;
          if (!permitted(message) || !not_forged(message)) continue;
          on_publication(message);
          if (!message.empty()) zmq::send_multipart(xpub_, message, zmq::send_flags::dontwait);
          publications_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      if (items[1].revents & ZMQ_POLLIN) {
        for (int i = 0; i < batch; ++i) {
          zmq::message_t subscription;
          if (!xpub_.recv(subscription, zmq::recv_flags::dontwait)) break;
          if (on_subscription(subscription)) xsub_.send(subscription, zmq::send_flags::dontwait);
          subscriptions_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      if (items[4].revents & ZMQ_POLLIN) publish_inbox();
    } catch (const zmq::error_t& e) {
      // Nothing a peer sends can cause this; log and keep relaying rather than lose logs.
      spdlog::error("broker relay: {}", e.what());
    }
  }
}

bool Relay::permitted(const Frames& message) {
  if (keys_ == nullptr || message.empty()) return true;
  const auto ring = keys_->get();
  const auto key = sender_key(message.front());
  const KeyRights* rights = ring->find(key);
  const std::string_view topic(static_cast<const char*>(message.front().data()), message.front().size());
  if (rights != nullptr && rights->may_publish(topic)) return true;
  refused_.fetch_add(1, std::memory_order_relaxed);
  const auto name = rights == nullptr || rights->name.empty() ? std::string(key) : rights->name;
  log_.warn("broker relay: dropped a publication on '{}' from key '{}': {}", loggable(topic), name,
            rights == nullptr ? "the key is no longer admitted" : "its roc-publish does not cover the topic");
  return false;
}

// ---- the broker's own publications -------------------------------------------------------------

namespace {
constexpr std::string_view broker_topics = "roc.";
}  // namespace

bool Relay::not_forged(const Frames& message) {
  if (message.empty()) return true;
  const std::string_view topic(static_cast<const char*>(message.front().data()), message.front().size());
  if (topic.substr(0, broker_topics.size()) != broker_topics) return true;
  forged_.fetch_add(1, std::memory_order_relaxed);
  log_.warn("broker relay: dropped a publication on '{}': topics starting with '{}' are the broker's own",
            loggable(topic), broker_topics);
  return false;
}

void Relay::publish_inbox() {
  Frames message;
  for (int i = 0; i < batch; ++i) {
    message.clear();
    if (!zmq::recv_multipart(inbox_, std::back_inserter(message), zmq::recv_flags::dontwait)) break;
    zmq::send_multipart(xpub_, message, zmq::send_flags::dontwait);
  }
}


void Relay::on_publication(Frames& message) {
  const auto peer = peer_of(message);
  status_.on_publish(message, peer.connection, StatusCache::Clock::now());
  if (message.empty() || peer.open) return;
  // The last words of a connection already closed: they stand, and are stale at once.
  zmq::send_multipart(xpub_, message, zmq::send_flags::dontwait);
  message.clear();
  send_notices(status_.on_connection_closed(peer.connection));
}

Relay::Peer Relay::peer_of(const Frames& message) {
  const int fd = message.empty() ? -1 : zmq_msg_get(message.back().handle(), ZMQ_SRCFD);
  if (fd < 0) return Peer{0, true};
  auto it = peers_.find(fd);
  if (it == peers_.end() || !it->second.open) {
    // An ACCEPTED is queued before its connection's first message can be: reading the events now
    // tells a new connection on a reused descriptor from the last words of the closed one. Not
    // for every message: an empty monitor read costs two system calls (getpid, poll), half the
    // relay's time. The events are also read before each batch, so a descriptor closed and
    // reused within one batch is the one case left to attribute to the wrong connection.
    read_connection_events();
    it = peers_.find(fd);
    if (it == peers_.end()) it = peers_.emplace(fd, Peer{++last_connection_, true}).first;
  }
  return it->second;
}

void Relay::read_connection_events() {
  // Each event: [6 bytes: uint16 event, uint32 value (the descriptor)], [endpoint].
  Frames event;
  while (true) {
    event.clear();
    if (!zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) return;
    if (event.empty() || event[0].size() < 6) continue;
    std::uint16_t id = 0;
    std::uint32_t value = 0;
    std::memcpy(&id, event[0].data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event[0].data()) + sizeof id, sizeof value);
    const int fd = static_cast<int>(value);
    if (id == ZMQ_EVENT_ACCEPTED) {
      peers_[fd] = Peer{++last_connection_, true};
    } else if (id == ZMQ_EVENT_DISCONNECTED) {
      const auto it = peers_.find(fd);
      if (it == peers_.end() || !it->second.open) continue;
      it->second.open = false;
      send_notices(status_.on_connection_closed(it->second.connection));
    }
  }
}

void Relay::send_notices(std::vector<Frames> notices) {
  for (auto& notice : notices) zmq::send_multipart(xpub_, notice, zmq::send_flags::dontwait);
}

bool Relay::on_subscription(zmq::message_t& subscription) {
  if (auto snapshot = status_.on_subscription(subscription)) {
    // Answered here, in stream order; no publisher sends on a snapshot topic.
    zmq::send_multipart(xpub_, *snapshot, zmq::send_flags::dontwait);
    return false;
  }
  return true;
}

}  // namespace roc::detail
