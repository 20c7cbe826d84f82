// Reading the lab's log records (docs/observability.md, PROTOCOL §5.1): a typed record and a subscription
// through the broker that filters by level and node and drops whatever is not a record.
#pragma once

#include <roc/endpoints.hpp>
#include <roc/next_iterator.hpp>

#include <spdlog/common.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roc::log {

/// One log record as a publisher sent it (the body of PROTOCOL §5.1, read and checked).
struct Record {
  std::chrono::system_clock::time_point time;  ///< `ts`, read
  std::string ts;                              ///< `ts` as sent: ISO 8601 UTC, e.g. 2026-11-22T02:31:07.854123Z
  spdlog::level::level_enum level = spdlog::level::info;
  std::string node;
  std::string logger;                          ///< "" for the default logger
  std::string msg;
  std::optional<std::string> file;             ///< none when the publisher did not know it
  int line = 0;
  std::uint64_t thread = 0;
  std::string body;                            ///< the JSON body exactly as received
};

/// Bodies longer than this are dropped and counted by a Subscription, unread.
inline constexpr std::size_t max_record_bytes = std::size_t{1} << 20;

/// Which records a Subscription delivers. The level and the nodes become ZeroMQ topic prefixes,
/// so the broker sends nothing else; nodes are then matched exactly (a prefix `cam` would also
/// let `camera` through).
struct Filter {
  spdlog::level::level_enum min_level = spdlog::level::trace;  ///< this level and above
  std::vector<std::string> nodes;                              ///< exact node names; empty: all
};

class Subscription;

/// Follows the log records that pass `filter`, through the broker at `endpoints`. When nothing
/// arrives within `timeout`, the range yields an empty optional so a loop can do other work; it
/// ends only when you break out of it.
///
///     for (auto& r : roc::log::records(endpoints, {spdlog::level::warn}, 1s)) if (r) show(*r);
///
/// Throws std::invalid_argument for a filter that can match nothing (min_level `off`, an empty
/// node name or one with a '.'), zmq::error_t for an endpoint ZeroMQ cannot use.
Subscription records(const Endpoints& endpoints, Filter filter = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(1));

/// The range returned by records(); also usable by hand through next().
///
/// A message that is not a record — fewer than two frames, a body over max_record_bytes, not
/// JSON, nested deeper than roc::json::max_depth, not an object, a required member (`ts`,
/// `level`, `node`, `msg`) missing, any member of the wrong type, an unknown level or a
/// malformed `ts` — is dropped and counted in dropped(), never thrown. As with any ZeroMQ SUB
/// socket, records published before the subscription reached the broker are not delivered.
/// Not thread-safe: one thread iterates.
class Subscription {
 public:
  Subscription(const Endpoints& endpoints, Filter filter, std::chrono::milliseconds timeout);
  ~Subscription();
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;

  /// Waits up to `timeout` for the next record that passes the filter; none when none came, when
  /// a signal interrupted the wait, or as soon as connected() or link_failure() changed (one
  /// change per call, so a drop and a reconnect are both seen). With a zero timeout, returns what
  /// is already there.
  std::optional<Record> next(std::chrono::milliseconds timeout);
  /// next() with the subscription's own timeout.
  std::optional<Record> next();

  /// Messages dropped because they were not records (see the class comment).
  std::uint64_t dropped() const noexcept;
  /// Whether a broker (any ZeroMQ peer) at endpoint() has accepted the connection and it is up,
  /// as of the last next(): false until then, false again once it drops, true when ZeroMQ has
  /// reconnected. Still false a second or two after the start (a connection on a LAN takes
  /// milliseconds) means nothing accepts connections there.
  bool connected() const noexcept;
  /// Why the last attempt to connect failed, as of the last next(): "connection refused" (nothing
  /// listens at endpoint()) or "unknown host 'x'"; empty while connected() and before any failed.
  const std::string& link_failure() const noexcept;
  /// The broker's subscribe endpoint this subscription connects to.
  const std::string& endpoint() const noexcept;
  const Filter& filter() const noexcept;

  using iterator = NextIterator<Subscription, std::optional<Record>>;
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(this, 0); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads one record body (PROTOCOL §5.1) as Subscription does; none when it is not a record.
/// For reading records from elsewhere (a roc-logdump file, for one) with the same rules.
std::optional<Record> parse_record(std::string_view body);

}  // namespace roc::log
