// The broker's status cache: stamps a sequence number on every status update passing through the
// relay, keeps the merged tree and who wrote each part of it, flags the parts of publishers that
// went away as stale, and answers snapshot requests in the stream (PROTOCOL §5.2-5.5).
#pragma once

#include "wire/status_protocol.hpp"

#include <roc/status.hpp>

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace roc::detail {

/// Owned and driven by the relay thread; not thread-safe. Never throws from the hooks: a
/// malformed message is forwarded untouched rather than taking the relay down.
///
/// Connections are the relay's ids for publisher connections (one per accepted connection, never
/// reused); 0 is a connection the relay cannot watch (inproc), which never closes.
class StatusCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Frames = std::vector<zmq::message_t>;

  /// The subscription the relay's XSUB must hold for as long as it runs, so publishers send
  /// every status update to the broker even when no subscriber wants it yet. Deliberately
  /// `status` without the dot: no subscriber's mask produces it, so a publisher seeing it knows
  /// a broker has just (re)connected and republishes its whole tree (StatusUpdater).
  static constexpr std::string_view upstream_subscription = status::cache_subscription;

  /// `stale_after`: a connection that sent no status update for this long has its parts flagged
  /// stale; zero: only when it closes.
  explicit StatusCache(std::chrono::milliseconds stale_after = std::chrono::milliseconds(0))
      : stale_after_(stale_after) {}

  /// Call with each message read from the XSUB side before forwarding it. For `status.<path>`
  /// messages: assigns the next sequence number (the third frame), passes on the publisher's
  /// stamp as the fourth (its own stamp when the publisher sent none it can read), merges the
  /// body into the tree and notes `connection` as the writer of `path`. An update whose path is
  /// malformed or whose body is missing or cannot be read (not JSON, or path and body nested deeper than
  /// json::max_depth together) is dropped: `frames` comes back empty, and dropped() counts it.
  /// (A publisher's message on a stale-notice topic never gets here: the relay drops every `roc.*`
  /// publication, Relay::not_forged.)
  /// Other topics pass as is.
  void on_publish(Frames& frames, std::uint64_t connection = 0, Clock::time_point now = Clock::now()) noexcept;

  /// The publisher connection closed: the parts it wrote are stale. Returns the stale notices
  /// to send on the XPUB, in order.
  std::vector<Frames> on_connection_closed(std::uint64_t connection) noexcept;

  /// The parts of connections silent for stale_after (if set) are stale: their notices.
  std::vector<Frames> on_timer(Clock::time_point now) noexcept;
  /// When on_timer() next has something to do; Clock::time_point::max() when never.
  Clock::time_point next_check() const noexcept;

  /// Call with each message read from the XPUB side. When it subscribes to a snapshot request,
  /// returns the reply to send on the XPUB right away: [request topic, tree under the masks,
  /// seq, sources under the masks]. The request need not be forwarded upstream (no publisher
  /// sends on that topic).
  std::optional<Frames> on_subscription(const zmq::message_t& message) noexcept;

  /// The last sequence number assigned (0 before the first update).
  std::uint64_t sequence() const noexcept { return seq_; }
  const StatusTree& tree() const noexcept { return tree_; }
  /// Status updates dropped as unreadable so far; thread-safe.
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Connection {
    Clock::time_point last_heard;
    bool silent = false;
  };

  /// Flags what `connection` wrote and turns each newly stale source into a notice.
  std::vector<Frames> flag_stale(std::uint64_t connection, std::string_view reason);

  std::chrono::milliseconds stale_after_;
  std::atomic<std::uint64_t> dropped_{0};
  std::uint64_t seq_ = 0;
  StatusTree tree_;
  std::unordered_map<std::uint64_t, Connection> connections_;  // those that wrote status
};

}  // namespace roc::detail
