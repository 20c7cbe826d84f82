// The broker's log and status relay (DESIGN §3.3): publishers' messages XSUB → XPUB,
// subscribers' subscriptions XPUB → XSUB, in a thread of its own so calls never wait on logs.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace roc::detail {

/// Forwards publications and subscriptions between two bound sockets.
///
/// Lifetime: construct (binds, throws zmq::error_t when an endpoint cannot be bound), start()
/// (forwards in a background thread), stop() (joins; idempotent; the destructor calls it).
/// start() and stop() are for the owning thread; the sockets are used only by the relay thread
/// once started.
///
/// ---- Where the status-tree cache goes ------------------------------------------------------
/// Every publication passes through on_publication() in the relay thread, as whole multipart
/// messages (topic frame, then JSON body). A status cache hooks in there:
///   - for topics starting with `status.`, deep-merge the body into a tree and stamp the
///     message with the next sequence number (e.g. append a frame, or rewrite the body)
///     before it is forwarded;
///   - serve snapshots of that tree from the same thread (add a socket to the poll set in
///     run(), e.g. a ROUTER on its own inproc/tcp endpoint), or answer them as a broker
///     service through BrokerCore's `mmi.` dispatch with a mutex around the tree.
/// Subscriptions (first byte 1 = subscribe, 0 = unsubscribe, then the prefix) pass through
/// on_subscription(). XPUB_VERBOSE is off: a repeated subscription to a prefix already
/// subscribed is not seen here. Turn it on if the cache needs to greet every late subscriber.
/// -------------------------------------------------------------------------------------------
class Relay {
 public:
  /// Binds XSUB on `publish_endpoint` (publishers connect here) and XPUB on
  /// `subscribe_endpoint` (subscribers connect here). `ipv6` enables IPv6 on both sockets.
  Relay(zmq::context_t& context, const std::string& publish_endpoint, const std::string& subscribe_endpoint,
        bool ipv6 = false);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  void start();
  void stop();

  /// Messages forwarded each way so far (for tests); thread-safe.
  std::uint64_t publications() const noexcept { return publications_.load(std::memory_order_relaxed); }
  std::uint64_t subscriptions() const noexcept { return subscriptions_.load(std::memory_order_relaxed); }

 private:
  using Frames = std::vector<zmq::message_t>;

  void run();
  /// Called for each whole publication before it is forwarded; may change the frames.
  /// Today it forwards as is. (Status cache hook: see the class comment.)
  void on_publication(Frames& message);
  /// Called for each subscription message before it goes up to the publishers.
  void on_subscription(zmq::message_t& subscription);

  zmq::context_t& context_;
  zmq::socket_t xsub_;
  zmq::socket_t xpub_;
  zmq::socket_t wake_;  // PULL on an inproc endpoint: stop() pokes it so poll() returns at once
  std::string wake_endpoint_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> publications_{0};
  std::atomic<std::uint64_t> subscriptions_{0};
  std::thread thread_;
};

}  // namespace roc::detail
