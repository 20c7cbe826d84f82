// XSUB/XPUB forwarding for logs and status, with hooks for the status cache (see relay.hpp).
#include "broker/relay.hpp"

#include "transport/sockets.hpp"
#include "transport/wakeup.hpp"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

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
      inbox_(inproc_socket(context, zmq::socket_type::pull)) {
  // A status subscriber that loses an update holds a wrong tree until that value changes again,
  // and the relay thread can outrun its own I/O thread in a burst: room for bursts per subscriber
  // (at worst ~100k messages of a few hundred bytes each for a subscriber that stopped reading).
  xpub_.set(zmq::sockopt::sndhwm, 100000);
  xsub_.bind(publish_endpoint);
  xpub_.bind(subscribe_endpoint);
  // The cache needs every status update even when no subscriber wants it yet; XSUB resends
  // this to each publisher that connects, and refcounts it against subscribers' unsubscribes.
  const std::string status_subscription = std::string(1, '\x01') + std::string(StatusCache::upstream_subscription);
  xsub_.send(zmq::buffer(status_subscription));
  wake_endpoint_ = bind_wakeup(wake_, "relay");
  inbox_endpoint_ = bind_wakeup(inbox_, "relay-inbox");
}

Relay::~Relay() { stop(); }

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
                             {inbox_.handle(), 0, ZMQ_POLLIN, 0}};
  Frames message;
  while (!stopping_) {
    try {
      zmq::poll(items, 4, idle_poll);
      if (items[2].revents & ZMQ_POLLIN) break;
      if (items[0].revents & ZMQ_POLLIN) {
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
      if (items[3].revents & ZMQ_POLLIN) publish_inbox();
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

void Relay::on_publication(Frames& message) { status_.on_publish(message); }

bool Relay::on_subscription(zmq::message_t& subscription) {
  if (auto snapshot = status_.on_subscription(subscription)) {
    // Answered here, in stream order; no publisher sends on a snapshot topic.
    zmq::send_multipart(xpub_, *snapshot, zmq::send_flags::dontwait);
    return false;
  }
  return true;
}

}  // namespace roc::detail
