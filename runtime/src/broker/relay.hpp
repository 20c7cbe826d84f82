// The broker's log and status relay (PROTOCOL §5): publishers' messages XSUB → XPUB,
// subscribers' subscriptions XPUB → XSUB, in a thread of its own so calls never wait on logs.
#pragma once

#include "roc/broker.hpp"
#include "broker/keyring.hpp"
#include "broker/rate_limited_log.hpp"
#include "broker/status_cache.hpp"

#include <zmq.hpp>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace roc::detail {

/// Forwards publications and subscriptions between two bound sockets.
///
/// Lifetime: construct (binds, throws zmq::error_t when an endpoint cannot be bound), start()
/// (forwards in a background thread), stop() (joins; idempotent; the destructor calls it).
/// start() and stop() are for the owning thread; the sockets are used only by the relay thread
/// once started.
///
/// ---- The status-tree cache ---------------------------------------------------------------
/// Every publication passes through on_publication() in the relay thread, as a whole multipart
/// message (topic frame, JSON body); every subscription (first byte 1 = subscribe, 0 =
/// unsubscribe, then the prefix) through on_subscription(). Both hand the message to
/// StatusCache (status_cache.hpp), which stamps a sequence number on `status.*` updates, keeps
/// the merged tree and answers snapshot-request subscriptions in the stream. The XSUB holds a
/// subscription to `status.` for its whole life so publishers always send status updates to the
/// cache. XPUB_VERBOSE is off: a repeated subscription to a prefix already subscribed is not
/// seen here (snapshot requests carry unique tokens, so they always are).
///
/// ---- Publisher connections ---------------------------------------------------------------
/// The cache flags the parts of the tree a publisher wrote as stale when its connection closes.
/// A socket monitor on the XSUB reports each accepted and each closed connection by file
/// descriptor, and every message carries the descriptor it came on (ZMQ_SRCFD). Descriptors are
/// reused, so each accepted connection gets an id of its own: events are read before each batch
/// and before a message from a descriptor not known to be open, and an ACCEPTED is always queued
/// before the first message of its connection.
/// -------------------------------------------------------------------------------------------
class Relay {
 public:
  /// Binds XSUB on `publish_endpoint` (publishers connect here) and XPUB on
  /// `subscribe_endpoint` (subscribers connect here). `ipv6` enables IPv6 on both sockets; both
  /// get the broker's connection limits (broker_sockets.hpp).
  /// `keys` (null for a plaintext broker) says what each admitted key may publish; it must
  /// outlive the relay.
  Relay(zmq::context_t& context, const std::string& publish_endpoint, const std::string& subscribe_endpoint,
        bool ipv6, const BrokerOptions& options, const KeyringHolder* keys);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  void start();
  void stop();

  /// Messages forwarded each way so far (for tests); thread-safe.
  std::uint64_t publications() const noexcept { return publications_.load(std::memory_order_relaxed); }
  std::uint64_t subscriptions() const noexcept { return subscriptions_.load(std::memory_order_relaxed); }
  /// Status updates the cache dropped as unreadable; thread-safe.
  std::uint64_t status_dropped() const noexcept { return status_.dropped(); }
  /// Publications dropped because their key may not publish on the topic; thread-safe.
  std::uint64_t publications_refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

  /// ---- The broker's own publications (presence events, PROTOCOL §5.6) ----
  /// The XPUB belongs to the relay thread, so other threads hand messages ([topic, body]) to
  /// this inproc PULL: connect a PUSH of the same context to inbox_endpoint() and send; the
  /// relay publishes them in the order received. Topics starting with `roc.` are the broker's
  /// alone: publishers' messages on them are dropped and counted (thread-safe).
  const std::string& inbox_endpoint() const noexcept { return inbox_endpoint_; }
  std::uint64_t publications_forged() const noexcept { return forged_.load(std::memory_order_relaxed); }

 private:
  using Frames = std::vector<zmq::message_t>;

  void run();
  /// Whether the publication's key may publish on its topic (always, on a plaintext broker).
  bool permitted(const Frames& message);
  /// Called for each whole publication before it is forwarded; may change the frames.
  void on_publication(Frames& message);
  /// Called for each subscription message; returns whether it should go up to the publishers.
  bool on_subscription(zmq::message_t& subscription);
  /// False (and counted) for a publisher's message on a topic only the broker may publish on.
  bool not_forged(const Frames& message);
  void publish_inbox();
  /// Reads the XSUB monitor's pending events: new connections get ids, closed ones go stale.
  void read_connection_events();
  struct Peer {
    std::uint64_t connection;  // 0: a connection the monitor cannot see (inproc), never closed
    bool open;
  };
  /// The connection a publication came on.
  Peer peer_of(const Frames& message);
  void send_notices(std::vector<Frames> notices);

  zmq::context_t& context_;
  const KeyringHolder* keys_;
  zmq::socket_t xsub_;
  zmq::socket_t xpub_;
  zmq::socket_t wake_;  // PULL on an inproc endpoint: stop() pokes it so poll() returns at once
  zmq::socket_t monitor_;  // PAIR reading the XSUB's connection events
  std::unordered_map<int, Peer> peers_;  // by file descriptor; used only by the relay thread
  std::uint64_t last_connection_ = 0;
  std::string wake_endpoint_;
  zmq::socket_t inbox_;  // PULL: the broker's own publications, from the core's thread
  std::string inbox_endpoint_;
  std::atomic<std::uint64_t> forged_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> publications_{0};
  std::atomic<std::uint64_t> subscriptions_{0};
  std::atomic<std::uint64_t> refused_{0};
  RateLimitedLog log_;
  std::thread thread_;
  StatusCache status_;  // used only by the relay thread
};

}  // namespace roc::detail
