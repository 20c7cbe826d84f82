// roc's broker: routes 7/MDP calls from clients to the workers serving each object id, and
// relays logs and status between publishers and subscribers (docs/broker.md).
#pragma once

#include <roc/endpoints.hpp>
#include <roc/security.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace roc {

/// How a broker binds and how patient it is with its peers.
struct BrokerOptions {
  /// Address to bind, in any form roc::Endpoints accepts (`*:5555`, `127.0.0.1:0`, `ipc://path`).
  /// Port 0 picks a free base port such that base, base+1 and base+2 all bind.
  std::string bind = "*:5555";
  /// How often the broker sends HEARTBEAT to each worker; also the unit of worker expiry.
  std::chrono::milliseconds heartbeat_interval{2500};
  /// A worker silent for heartbeat_interval × heartbeat_liveness is dropped.
  int heartbeat_liveness = 3;
  /// How long a request for an id nobody serves waits for a worker before it gets -32001.
  std::chrono::milliseconds unknown_object_grace{1000};
  /// Request bodies (all frames together) larger than this get an error reply naming both sizes.
  /// Replies are not limited.
  std::size_t max_request_bytes = std::size_t{64} << 20;
  /// Any single frame larger than this, from any peer, makes ZeroMQ drop that peer's connection
  /// before it allocates the frame: a stray TCP client's garbage cannot make the broker reserve
  /// gigabytes. It also caps worker replies, so keep it above the largest reply you send; bulk
  /// data belongs in attachment frames of its own.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  /// A connection that has not completed the ZMTP handshake this long after it opened is closed.
  std::chrono::milliseconds handshake_timeout{10000};
  /// The broker sends a ZMTP PING on every connection this often...
  std::chrono::milliseconds ping_interval{5000};
  /// ...and closes a connection on which no whole message (a PONG counts) arrived within this
  /// long after a PING: a peer gone away, or one stalled in the middle of a frame. libzmq peers
  /// answer PINGs by themselves, so idle peers and workers in long calls are never closed; a
  /// single frame must arrive within this time (64 MiB in 30 s needs ~18 Mbit/s).
  std::chrono::milliseconds connection_timeout{30000};
  /// Calls that may wait in the queue of one object id (no worker has free credit, or nobody
  /// serves the id yet and the grace runs). One more gets -32005 (object busy) at once. The
  /// default holds about 100 s of a 100 ms method: far beyond any caller's timeout.
  std::size_t max_queued_per_object = 1024;
  /// Bytes all queues together may hold: bodies, client addresses and object ids, plus a fixed
  /// 256 bytes per call for the bookkeeping. A call that would go over gets -32005 at once.
  /// Must be at least max_request_bytes, so that one call of the largest size can wait.
  std::size_t max_queued_bytes = std::size_t{128} << 20;
  /// Calls in flight at one worker, whatever credit its READY declares: a worker that takes
  /// calls and never answers holds at most this many.
  std::uint32_t max_worker_credit = 1024;
  /// A status publisher connection that sent no update for this long has the parts of the tree
  /// it wrote flagged stale, as when it disconnects (docs/observability.md, "Stale status").
  /// Zero (the default) flags them only when the connection closes: many publishers emit only
  /// when a value changes, and would look dead while all is well. Set it when every publisher
  /// emits at least this often, to catch one that hangs with its connection still open.
  std::chrono::milliseconds status_stale_after{0};

  /// The broker's secret certificate. When set, all three sockets speak CURVE only: encrypted,
  /// and every peer must know the broker's public key. Plaintext peers get nothing.
  /// Without it, a broker bound to anything but loopback (127.0.0.0/8, ::1, localhost) or ipc://
  /// logs a warning at start: anyone who reaches the port may call, serve and publish.
  std::optional<Certificate> certificate{};
  /// A directory of public certificates (`*.key`); with `certificate` set, only those keys are
  /// admitted, with the rights their metadata grants (docs/security.md). Re-read by
  /// Broker::reload_keys() and when its files change. Empty: any CURVE key is admitted.
  std::string allow_directory{};
};

/// Counters for tests and tools; a snapshot, consistent per field only.
struct BrokerStats {
  std::uint64_t requests = 0;         ///< client requests received (MMI included)
  std::uint64_t replies = 0;          ///< worker replies forwarded to clients
  std::uint64_t dropped = 0;          ///< malformed or unexpected messages dropped or refused
  std::uint64_t not_found = 0;        ///< -32001 replies sent after the grace
  std::uint64_t gone = 0;             ///< -32002 replies sent for calls held by a lost worker
  std::uint64_t expired_workers = 0;  ///< workers dropped for silence
  std::uint64_t workers = 0;          ///< workers registered now
  std::uint64_t queued = 0;           ///< requests waiting for a worker now
  std::uint64_t queued_bytes = 0;     ///< bytes those requests cost (as max_queued_bytes counts)
  std::uint64_t busy = 0;             ///< -32005 replies: a queue bound was reached
  std::uint64_t expired_calls = 0;    ///< queued calls dropped unrun: their caller's timeout passed
  std::uint64_t abandoned_calls = 0;  ///< queued calls dropped unrun: their client disconnected
  std::uint64_t status_dropped = 0;   ///< status updates dropped: not JSON, bad path, or too deep
  std::uint64_t cancelled = 0;        ///< calls their caller cancelled and the broker answered -32008
  std::uint64_t progress = 0;         ///< progress events forwarded to callers
  /// Progress events dropped: for a call the broker no longer holds (answered, cancelled, or whose
  /// caller asked for none) or over 64 KiB.
  std::uint64_t progress_dropped = 0;
  /// CURVE handshakes let in: the key is admitted (any key, without an allow directory). One per
  /// connection, so a client with three sockets counts three, and each reconnection counts again.
  std::uint64_t keys_admitted = 0;
  /// CURVE handshakes refused: a key not in the allow directory, or a request libzmq could not
  /// have meant (not CURVE, not roc's domain). Plaintext peers of a secured broker fail before
  /// they get this far and are not counted here.
  std::uint64_t keys_refused = 0;
  /// Secured broker (docs/security.md): calls answered -32007 and READYs refused for want of a
  /// right, and messages dropped because their key is no longer admitted.
  std::uint64_t not_allowed = 0;
  /// Secured broker: log and status publications dropped: the key's roc-publish does not cover
  /// the topic, or the key is no longer admitted. They reach no subscriber and no snapshot.
  std::uint64_t publications_refused = 0;
  /// Publications dropped because their topic starts with `roc.`, which only the broker may
  /// publish on (presence events, PROTOCOL §5.6): no publisher can forge them.
  std::uint64_t publications_forged = 0;
};

/// The broker: a ROUTER for 7/MDP calls on the base port, an XSUB (base+1) and XPUB (base+2)
/// relay for logs and status, each relay in its own thread so calls are never slowed by logs.
///
/// A Broker is single-use: start() or run() once, stop() once (more stop() calls do nothing).
/// To restart on the same port, make a new Broker bound to `endpoints().address()`'s port.
/// It owns its own ZeroMQ context; several brokers can live in one process.
class Broker {
 public:
  /// Binds nothing yet. Throws roc::Error naming `options.bind` when it is not an address, and
  /// std::invalid_argument naming the field when another option is out of range.
  explicit Broker(BrokerOptions options = {});
  /// Calls stop().
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Binds the three sockets and serves in a background thread. Returns once bound.
  /// Throws roc::Error naming the address when binding fails, or when already started/stopped.
  void start();

  /// Binds and serves in the calling thread until stop() is called from another thread.
  /// Returns at once when stop() was already called. Throws like start().
  void run();

  /// Orderly stop: answers held and queued calls with -32002 (queued calls for an id nobody
  /// serves with -32001), sends DISCONNECT to every worker,
  /// closes the sockets (the ports are free again when it returns) and joins the threads.
  /// Idempotent; safe from any thread except the one inside run().
  void stop();

  /// Where peers connect: the bound port (the picked one for port 0), with a wildcard host
  /// (`*`, `0.0.0.0`) replaced by 127.0.0.1 and `[::]` by `[::1]`. Thread-safe.
  Endpoints endpoints() const;

  /// Counters; thread-safe.
  BrokerStats stats() const;

  /// Re-reads BrokerOptions::allow_directory and puts its keys in force when it returns: a key
  /// no longer there is refused at its next handshake, and the call router and the relay stop
  /// taking its messages on connections already open. A directory that cannot be read keeps the
  /// keys in force and logs an error. The broker also does this by itself within about a second
  /// of a change in the directory. Does nothing without a certificate and an allow directory.
  /// Thread-safe; rocbroker calls it on SIGHUP.
  void reload_keys();

  /// Number of workers registered for each object id right now; thread-safe.
  std::map<std::string, std::size_t> workers() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roc
