// Live status tree (docs/observability.md): publishing partial updates, merging them, cutting them to
// masks, and following them through the broker with a gap-free snapshot for late joiners.
#pragma once

#include <roc/endpoints.hpp>
#include <roc/json.hpp>
#include <roc/next_iterator.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roc {

/// A dotted status path split into segments; "" is the root. Segments are never empty:
/// `a..b`, `.a` and `a.` are rejected with std::invalid_argument.
std::vector<std::string> split_status_path(std::string_view path);

/// Whether the update at `path` concerns `mask`: one is a whole-segment prefix of the other.
/// `system.foo` matches `system`, `system.foo` and `system.foo.cpu`, never `system.foobar`.
/// The empty mask matches everything.
bool status_path_matches(std::string_view mask, std::string_view path);

namespace detail {
class StatusCache;
}

/// Who published a status update (PROTOCOL §5.2). Empty and 0 when unknown: the update came from
/// a publisher that does not stamp its updates, and the broker stamped it on arrival.
struct StatusPublisher {
  std::string program;   ///< the publishing program's name, e.g. "vnir-server"
  std::string host;      ///< the host it runs on
  std::int64_t pid = 0;  ///< its process id

  bool known() const noexcept { return !program.empty() || !host.empty() || pid != 0; }
  /// "vnir-server on lab1 (pid 4242)", or "an unknown publisher".
  std::string describe() const;
  bool operator==(const StatusPublisher& o) const {
    return program == o.program && host == o.host && pid == o.pid;
  }
};

/// Where a part of the status tree came from: the publisher that last emitted at `path`, when,
/// and whether that publisher has gone away since (docs/observability.md, "Stale status").
/// A source covers its path's whole subtree, except where a deeper source covers a part.
struct StatusSource {
  std::string path;  ///< the dotted path the publisher emitted at
  StatusPublisher publisher;
  /// When the publisher emitted it, on the publisher's clock (the broker's for an unknown
  /// publisher): compare with your own clock only as far as you trust the two to agree.
  std::chrono::system_clock::time_point emitted{};
  /// The publisher that wrote it disconnected, or fell silent for longer than the broker's
  /// --stale-after; cleared by the next update at this path.
  bool stale = false;
};

/// One status update as a receiver sees it: the partial subtree `value` rooted at `path`.
/// A default-constructed update is empty(): status_updates() yields one when nothing arrived
/// within its timeout.
struct StatusUpdate {
  std::string path;       ///< dotted path the value is rooted at; "" for a snapshot (whole tree)
  json::Json value;       ///< the partial subtree; {} for a stale notice
  std::uint64_t seq = 0;  ///< broker sequence number; 0 when unknown
  bool snapshot = false;  ///< true for the broker's merged tree sent to a late joiner
  /// True for a stale notice: the publisher that last wrote `path` went away; the values stay.
  bool stale = false;
  bool valid = false;     ///< false for the "nothing came" update
  /// Who emitted it: one source (at `path`) for a live update or a stale notice, every source
  /// under the masks for a snapshot. Empty from a broker that predates stamps.
  std::vector<StatusSource> sources;

  bool empty() const noexcept { return !valid; }
  explicit operator bool() const noexcept { return valid; }
};

/// A JSON tree that deep-merges partial updates with JSON Merge Patch rules (RFC 7386):
/// objects merge member by member, `null` removes a member, anything else replaces.
///
/// It also keeps the tree's sources (who wrote each part, when, and whether it is stale). An
/// update at a path replaces the source there and drops the deeper sources whose part it
/// rewrites or deletes. Not thread-safe; copyable.
class StatusTree {
 public:
  StatusTree();

  /// Merges `value` rooted at dotted `path` ("" = the root), with no source of its own. Throws
  /// std::invalid_argument for a malformed path.
  void merge(std::string_view path, const rapidjson::Value& value);
  /// Merges `value` at `path`, written by `source` (whose path is taken to be `path`, fresh).
  void merge(std::string_view path, const rapidjson::Value& value, const StatusSource& source);
  /// Merges an update; an empty update changes nothing. A snapshot replaces the whole tree and
  /// its sources; a stale notice flags the source at its path.
  void merge(const StatusUpdate& update);
  /// Replaces the whole tree; the sources with it.
  void reset(const rapidjson::Value& root, std::vector<StatusSource> sources = {});
  /// Flags the source at `source.path` stale, taking the rest of `source` (adds it when the tree
  /// has none at that path).
  void mark_stale(const StatusSource& source);

  /// Every source, sorted by path.
  std::vector<StatusSource> sources() const;
  /// The source covering `path`: the deepest at or above it; nullptr when none. Valid until the
  /// next change.
  const StatusSource* source(std::string_view path) const;

  /// The subtree at `path`, or nullptr when absent. Valid until the next change.
  const rapidjson::Value* find(std::string_view path) const;
  /// The whole tree: always an object.
  const rapidjson::Value& root() const noexcept { return tree_.value(); }

  /// A copy holding only what lies under the masks (with the masks' ancestors, so paths stay
  /// the same), and the sources that cover any of it. No masks, or an empty mask, keeps
  /// everything.
  StatusTree cut(const std::vector<std::string>& masks) const;

  std::string dump() const { return tree_.dump(); }
  std::string pretty() const { return tree_.pretty(); }
  /// Compares the values only, not the sources.
  bool operator==(const StatusTree& other) const { return tree_ == other.tree_; }
  bool operator!=(const StatusTree& other) const { return !(*this == other); }

 private:
  friend class detail::StatusCache;
  struct Source {
    StatusSource info;
    std::uint64_t writer = 0;  // the broker's id of the connection that wrote it
  };

  void merge_written(std::string_view path, const rapidjson::Value& value, const StatusSource* source,
                     std::uint64_t writer);
  /// Flags every fresh source `writer` wrote; returns those it flagged.
  std::vector<StatusSource> mark_stale_written_by(std::uint64_t writer);
  /// RapidJSON's pool allocator frees nothing until the document goes: a long-lived tree that
  /// is merged into forever is copied into a fresh document when the pool outgrows it.
  void maybe_compact();

  json::Json tree_;
  std::size_t compacted_bytes_ = 0;
  std::map<std::string, Source, std::less<>> sources_;
};

/// Options of a StatusUpdater.
struct StatusUpdaterOptions {
  /// Updates waiting for the network thread; beyond this, emit() drops and counts.
  std::size_t queue_capacity = 100000;
  /// The program name every update is stamped with; empty: the running program's name.
  std::string program{};
};

/// Publishes status updates (topic `status.<path>`, body the subtree) to the broker, each stamped
/// with its emit time and this process's identity (program, host, pid).
///
/// emit() never blocks on the network and never throws for network reasons: updates go to a
/// bounded queue drained by a background thread that owns the socket. The updater also keeps
/// the merged tree of everything it emitted and republishes it whenever the broker (re)connects,
/// so the broker's cache is whole again after a restart and nothing emitted before the
/// connection was up is lost. Thread-safe. Destruction waits up to 0.5 s for queued updates to
/// reach the broker and up to 0.5 s more for the socket to hand them over (so about 1 s at most
/// when the broker is down).
class StatusUpdater {
 public:
  explicit StatusUpdater(const Endpoints& endpoints, StatusUpdaterOptions options = {});
  ~StatusUpdater();
  StatusUpdater(const StatusUpdater&) = delete;
  StatusUpdater& operator=(const StatusUpdater&) = delete;

  /// Publishes `value` (anything roc::json::encode converts) at dotted `path` (not empty).
  /// Throws std::invalid_argument for a malformed path; conversion errors propagate.
  template <class T>
  void emit(std::string_view path, const T& value) {
    json::Json j;
    json::encode(value, j.value(), j.allocator());
    emit_value(path, j.value());
  }
  /// Publishes a JSON value.
  void emit_value(std::string_view path, const rapidjson::Value& value);
  /// Publishes JSON text; throws std::invalid_argument when it is not valid JSON.
  void emit_json(std::string_view path, std::string_view json_text);

  /// A copy of the merged tree of everything emitted so far.
  StatusTree tree() const;
  /// Updates dropped because the queue was full.
  std::uint64_t dropped() const noexcept;
  /// Waits until the broker has subscribed and everything emitted so far was handed to the
  /// network; false after `timeout`. For tests and orderly shutdown.
  bool flush(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class StatusSubscription;

/// Follows status updates under `masks` (empty: everything) through the broker at `endpoints`.
///
/// First asks the broker for the merged tree under the masks; that arrives as one update with
/// snapshot() true and the sequence number it reflects. Live updates after it follow with no gap
/// and no duplicate; each is cut down to the masks (an update emitted above a mask delivers only
/// the masked part). When nothing arrives within `timeout`, the range yields an empty update so
/// a loop can do other work; it ends only when the subscription is destroyed. When the broker
/// does not answer the snapshot request within a few timeouts, live updates are delivered anyway.
/// Stale notices for paths under (or above) the masks come in the same stream, in order; merging
/// every update into a StatusTree keeps its sources and stale flags right.
///
///     for (auto& u : roc::status_updates(endpoints, {"system"}, 2s)) { if (u) tree.merge(u); }
///
/// Not thread-safe: one thread iterates. Throws std::invalid_argument for a malformed mask.
StatusSubscription status_updates(const Endpoints& endpoints, std::vector<std::string> masks,
                                  std::chrono::milliseconds timeout);

/// The range returned by status_updates(); also usable by hand through next().
class StatusSubscription {
 public:
  StatusSubscription(const Endpoints& endpoints, std::vector<std::string> masks,
                     std::chrono::milliseconds timeout, bool want_snapshot = true);
  ~StatusSubscription();
  StatusSubscription(StatusSubscription&&) noexcept;
  StatusSubscription& operator=(StatusSubscription&&) noexcept;

  /// Waits up to `timeout` for the next update; returns an empty update when none came, or as
  /// soon as connected() or link_failure() changed (one change per call, so a drop and a
  /// reconnect are both seen).
  StatusUpdate next(std::chrono::milliseconds timeout);
  /// next() with the subscription's own timeout.
  StatusUpdate next();
  /// Whether the snapshot has arrived (or was given up on).
  bool synced() const noexcept;
  /// Updates dropped because they could not be read: not JSON, a malformed path, or nested
  /// deeper than json::max_depth (256) levels counting the path's segments. The first is logged.
  std::uint64_t dropped() const noexcept;
  const std::vector<std::string>& masks() const noexcept;

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

  using iterator = NextIterator<StatusSubscription, StatusUpdate>;
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(this, 0); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roc
