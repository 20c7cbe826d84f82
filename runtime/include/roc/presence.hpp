// Presence (PROTOCOL §4 mmi.workers, §5.6): which workers serve which objects, and events as
// objects and workers come and go, published by the broker.
#pragma once

#include <roc/endpoints.hpp>
#include <roc/next_iterator.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roc {

/// One worker as the broker reports it. `host`, `pid` and `program` are what the worker said in
/// its READY, shown as told and never checked; a worker that said nothing (a third-party 7/MDP
/// worker) has described() false.
struct WorkerPresence {
  std::string host;
  std::uint32_t pid = 0;  ///< 0: not told
  std::string program;
  double uptime_s = 0;          ///< seconds since it registered (the broker's clock)
  std::uint64_t calls = 0;      ///< replies it has sent
  std::uint64_t in_flight = 0;  ///< requests it holds now

  bool described() const noexcept { return pid != 0; }
};

/// An object and its workers, oldest first (what Client::workers() returns).
struct ObjectWorkers {
  std::string id;
  std::vector<WorkerPresence> workers;
};

/// One presence event (PROTOCOL §5.6).
struct PresenceEvent {
  enum class Kind {
    registered,     ///< the object's first worker came: the object is there
    worker_joined,  ///< one more worker of an object already there
    worker_left,    ///< a worker went; others remain
    gone,           ///< the last worker went: the object is not there any more
    other,          ///< an event a later broker sends; `event` names it
  };
  Kind kind = Kind::other;
  std::string event;   ///< as sent: "registered", "worker-joined", "worker-left", "gone", ...
  std::string id;      ///< the object id
  WorkerPresence worker;  ///< the worker that came or went, at that moment
  std::size_t workers = 0;  ///< workers serving the object after the event
  /// Departures: "disconnect", "connection-lost" (the process died or its host is unreachable),
  /// "expired" (heartbeats stopped), "protocol-error"; empty for arrivals.
  std::string reason;
  std::string body;    ///< the JSON body exactly as received
};

/// Reads an `mmi.workers` reply; throws roc::ProtocolError when it is not one.
std::vector<ObjectWorkers> parse_workers(std::string_view json);
/// Reads a presence event body; none when it is not one (PROTOCOL §5.6).
std::optional<PresenceEvent> parse_presence_event(std::string_view body);

class PresenceSubscription;

/// Follows presence events of the objects `ids` (empty: every object) through the broker at
/// `endpoints`. When nothing arrives within `timeout`, the range yields an empty optional so a
/// loop can do other work; it ends only when you break out of it. Events are not stored by the
/// broker: to know the state at the start, subscribe first, then ask Client::workers().
///
///     for (auto& e : roc::presence_events(endpoints, {}, 1s)) if (e) show(*e);
///
/// Throws std::invalid_argument for an empty id, zmq::error_t for an endpoint ZeroMQ cannot use.
PresenceSubscription presence_events(const Endpoints& endpoints, std::vector<std::string> ids = {},
                                     std::chrono::milliseconds timeout = std::chrono::seconds(1));

/// The range returned by presence_events(); also usable by hand through next(). A message that
/// is not a presence event (not JSON, a member missing or of the wrong type) is dropped and
/// counted in dropped(), never thrown. Not thread-safe: one thread iterates.
class PresenceSubscription {
 public:
  PresenceSubscription(const Endpoints& endpoints, std::vector<std::string> ids, std::chrono::milliseconds timeout);
  ~PresenceSubscription();
  PresenceSubscription(PresenceSubscription&&) noexcept;
  PresenceSubscription& operator=(PresenceSubscription&&) noexcept;

  /// Waits up to `timeout` for the next event; none when none came, when a signal interrupted
  /// the wait, or as soon as connected() or link_failure() changed (one change per call).
  std::optional<PresenceEvent> next(std::chrono::milliseconds timeout);
  /// next() with the subscription's own timeout.
  std::optional<PresenceEvent> next();

  /// Messages dropped because they were not presence events.
  std::uint64_t dropped() const noexcept;
  /// Whether a broker (any ZeroMQ peer) at endpoint() has accepted the connection and it is up,
  /// as of the last next(); see roc::log::Subscription::connected().
  bool connected() const noexcept;
  /// Why the last connection attempt failed ("connection refused", "unknown host 'x'"), as of
  /// the last next(); empty once a connection is up. See roc::log::Subscription::link_failure().
  const std::string& link_failure() const noexcept;
  /// The broker's subscribe endpoint this subscription connects to.
  const std::string& endpoint() const noexcept;
  const std::vector<std::string>& ids() const noexcept;

  using iterator = NextIterator<PresenceSubscription, std::optional<PresenceEvent>>;
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(this, 0); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roc
