// The broker's status cache: stamps a sequence number on every status update passing through the
// relay, keeps the merged tree, and answers snapshot requests in the stream (PROTOCOL §5.3).
#pragma once

#include "wire/status_protocol.hpp"

#include <roc/status.hpp>

#include <zmq.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace roc::detail {

/// Owned and driven by the relay thread; not thread-safe. Never throws from the hooks: a
/// malformed message is forwarded untouched rather than taking the relay down.
class StatusCache {
 public:
  /// The subscription the relay's XSUB must hold for as long as it runs, so publishers send
  /// every status update to the broker even when no subscriber wants it yet. Deliberately
  /// `status` without the dot: no subscriber's mask produces it, so a publisher seeing it knows
  /// a broker has just (re)connected and republishes its whole tree (StatusUpdater).
  static constexpr std::string_view upstream_subscription = status::cache_subscription;

  /// Call with each message read from the XSUB side before forwarding it. For `status.<path>`
  /// messages: assigns the next sequence number (appended as the third frame, replacing any
  /// extra frames a publisher sent) and merges the body into the tree. An update whose path is
  /// malformed or whose body cannot be read (not JSON, or path and body nested deeper than
  /// json::max_depth together) is dropped: `frames` comes back empty, and dropped() counts it.
  /// Other topics pass as is.
  void on_publish(std::vector<zmq::message_t>& frames) noexcept;

  /// Call with each message read from the XPUB side. When it subscribes to a snapshot request,
  /// returns the reply to send on the XPUB right away: [request topic, tree under the masks,
  /// seq]. The request need not be forwarded upstream (no publisher sends on that topic).
  std::optional<std::vector<zmq::message_t>> on_subscription(const zmq::message_t& message) noexcept;

  /// The last sequence number assigned (0 before the first update).
  std::uint64_t sequence() const noexcept { return seq_; }
  const StatusTree& tree() const noexcept { return tree_; }
  /// Status updates dropped as unreadable so far; thread-safe.
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> dropped_{0};
  std::uint64_t seq_ = 0;
  StatusTree tree_;
};

}  // namespace roc::detail
