// The broker's routing state machine (7/MDP with roc's credit and call header extensions): which
// workers serve which object ids, what each holds, what waits and until when. It reads decoded frames and writes to the ROUTER
// it is given; binding, threads and the poll loop live in broker.cpp.
#pragma once

#include "broker/keyring.hpp"
#include "broker/rate_limited_log.hpp"
#include "wire/mdp.hpp"
#include "roc/broker.hpp"

#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace roc::detail {

/// Why a worker went: what the broker's log says, and the presence event's `reason` (PROTOCOL §5.6).
enum class Departure { disconnected, connection_lost, expired, malformed, registered_twice, broker_stopped };

/// Routes calls between clients and workers on one ROUTER socket.
///
/// Thread safety: handle(), on_timer(), next_wakeup() and shutdown() must all be called from the
/// thread that owns the ROUTER; stats() and worker_counts() may be called from any thread.
/// Nothing here throws on bad input: malformed or unexpected messages are logged (rate-limited)
/// and dropped or answered with an error.
class BrokerCore {
 public:
  using Clock = std::chrono::steady_clock;
  /// Publishes a presence event (PROTOCOL §5.6): topic, body. Called from the core's thread.
  using PresencePublisher = std::function<void(std::string topic, std::string body)>;

  /// `keys` (null for a plaintext broker) says which keys are admitted and what each may do;
  /// it must outlive the core. `presence` (may be empty: none are sent) gets the presence events.
  BrokerCore(zmq::socket_t& router, const BrokerOptions& options, const KeyringHolder* keys,
             PresencePublisher presence = {});

  /// Handles one multipart message read from the ROUTER; the frames are consumed.
  void handle(mdp::Frames& frames, Clock::time_point now);

  /// The TCP connection with file descriptor `fd` closed (from the ROUTER's socket monitor):
  /// the calls a client queued on it are dropped unrun (nobody would read their replies), and the
  /// worker on it, if any, is gone: it gets no more calls, and settle_lost_workers() answers the
  /// calls it held with -32002 at once instead of after the heartbeat expiry.
  void on_peer_disconnected(int fd);

  /// Removes the workers whose connection closed. Called after the messages that were waiting on
  /// the ROUTER when the closing was seen have been handled: a worker that said DISCONNECT just
  /// before closing has then left as "disconnect", not as "connection-lost" (PROTOCOL §5.6).
  void settle_lost_workers(Clock::time_point now);

  /// Sends due heartbeats, drops silent workers, answers requests whose grace ran out and drops
  /// queued requests whose caller stopped waiting.
  void on_timer(Clock::time_point now);

  /// When on_timer() next has work to do.
  Clock::time_point next_wakeup() const noexcept {
    return std::min({next_heartbeat_, next_grace_check_, next_sweep_});
  }

  /// Orderly stop: answers every queued and held call with an error and sends DISCONNECT to
  /// every worker. The core is empty afterwards.
  void shutdown();

  BrokerStats stats() const;
  std::map<std::string, std::size_t> worker_counts() const;

 private:
  struct Service;

  // Who sent a message on a secured broker: its key and what the allow directory grants it.
  struct Caller {
    std::string_view key;      // Z85 public key (the ZAP User-Id)
    const KeyRights* rights;   // from the keyring generation current for this message
    std::string name() const { return rights->name.empty() ? std::string(key) : rights->name; }
  };

  // A caller's part in a long call (PROTOCOL §2.6): its name for the call, whether it wants
  // progress, and its connection, so the call can be cancelled when that closes.
  struct CallTag {
    std::uint64_t call = 0;  // 0: the caller named none (a plain 7/MDP client): never cancelled
    bool progress = false;
    int fd = -1;             // the client's connection (ZMQ_SRCFD); -1 when unknown (inproc)
  };

  // A call sent to a worker and not answered yet. `body` shares the first body frame's buffer
  // (zmq_msg_copy) so an error reply can name the request ids if the worker goes away.
  struct InFlight {
    zmq::message_t client;
    zmq::message_t body;
    CallTag tag;
    bool cancelled = false;  // the caller has its -32008: the worker's reply is dropped
  };

  // A call waiting for a worker with free credit.
  struct Queued {
    zmq::message_t client;
    mdp::Frames body;
    Clock::time_point enqueued;
    Clock::time_point deadline;  // when its caller stops waiting; max() when it sent no timeout
    bool attachments = false;    // its caller reads attachments in the reply (attach=1)
    CallTag tag;
    std::size_t cost = 0;        // what it counts against max_queued_bytes
  };

  struct Worker {
    zmq::message_t identity;
    Service* service = nullptr;
    std::uint32_t credit = 1;    // as declared, capped by max_worker_credit
    bool takes_header = false;   // a roc worker (credit frame in READY): it gets the call header
    bool takes_attachments = false;  // it reads attachments in requests (features frame in READY)
    bool takes_cancel = false;       // it takes CANCEL (feature `cancel`)
    bool takes_progress = false;     // it may send PROGRESS (feature `progress`)
    std::string key, key_name;   // its CURVE key and how to name it (secured broker only)
    int fd = -1;  // the connection it registered on (ZMQ_SRCFD), to notice it closing
    std::deque<InFlight> in_flight;  // in the order sent: the worker answers in that order
    Clock::time_point expiry;
    std::uint64_t last_dispatch = 0;  // breaks ties between equally free workers (round robin)
    // Presence (PROTOCOL §4 mmi.workers): who it says it is, since when it serves, replies sent.
    std::optional<mdp::WorkerInfo> info;
    Clock::time_point since;
    std::uint64_t calls = 0;
    bool connection_lost = false;  // its connection closed: settle_lost_workers() removes it
    std::size_t free_credit() const noexcept {
      return connection_lost || in_flight.size() >= credit ? 0 : credit - in_flight.size();
    }
  };

  struct Service {
    std::string name;
    std::vector<Worker*> workers;
    std::deque<Queued> queue;
    Clock::time_point no_workers_since;  // when the last worker left (or the service appeared)
    Clock::time_point earliest_deadline = Clock::time_point::max();  // no queued call expires sooner
    std::size_t cost = 0;  // counted against max_queued_bytes: made by a call before any worker came
  };

  using WorkerMap = std::unordered_map<std::string, Worker>;
  using ServiceMap = std::unordered_map<std::string, Service>;

  void on_client(zmq::message_t& sender, mdp::ClientMessage& message, Clock::time_point now, int fd,
                 const Caller* caller);
  void on_worker(zmq::message_t& sender, mdp::WorkerMessage& message, Clock::time_point now, int fd,
                 const Caller* caller);
  void on_malformed(const mdp::Frames& frames, const std::string& error, Clock::time_point now);
  void on_ready(zmq::message_t& sender, mdp::WorkerMessage& message, Clock::time_point now, int fd,
                const Caller* caller);

  // Rights (docs/security.md): false after answering the caller -32007 (calls) or DISCONNECT (READY).
  bool permits_call(const Caller& caller, const zmq::message_t& client, const mdp::ClientMessage& message);
  bool permits_serving(const Caller& caller, const zmq::message_t& worker, const std::string& id);
  void on_reply(Worker& worker, mdp::WorkerMessage& message, Clock::time_point now);
  // Long calls (PROTOCOL §2.6).
  void on_progress(Worker& worker, mdp::WorkerMessage& message);
  void on_cancel(const zmq::message_t& client, const std::string& service, std::uint64_t call);
  // Marks a held call cancelled and tells its worker, if it can be told.
  void cancel_held(Worker& worker, InFlight& held);
  void on_mmi(zmq::message_t& sender, mdp::ClientMessage& message);

  Worker* pick_worker(Service& service);
  void dispatch(Worker& worker, zmq::message_t client, mdp::Frames& body, Clock::time_point deadline,
                bool attachments, const CallTag& tag, Clock::time_point now);
  void drain(Service& service, Clock::time_point now);

  // Queue bookkeeping: every call that enters a queue goes through enqueue(), every call that
  // leaves one through unqueued(), so the counters and bounds cannot drift.
  void enqueue(Service& service, Queued&& call);
  void unqueued(const Queued& call);
  void refuse_busy(const zmq::message_t& client, const mdp::ClientMessage& message, std::size_t waiting);
  template <class Drop>
  std::size_t drop_queued(Service& service, Drop drop);
  void sweep_expired(Clock::time_point now);
  ServiceMap::iterator erase_service(ServiceMap::iterator it);

  void remove_worker(WorkerMap::iterator it, bool send_disconnect, Departure why, Clock::time_point now);
  void refuse_unknown_worker(const zmq::message_t& sender, std::string_view what);
  void expire_unserved(Clock::time_point now);

  void reply_text(const zmq::message_t& client, std::string_view service, std::string_view text);
  void publish_counts(const Service& service);

  // Presence: the mmi.workers listing and the events of workers coming and going.
  std::string workers_listing(std::string_view id, Clock::time_point now) const;
  void announce(const Worker& worker, std::string_view event, std::string_view reason, Clock::time_point now);

  zmq::socket_t& router_;
  const KeyringHolder* keys_;
  PresencePublisher presence_;
  BrokerOptions options_;
  Clock::duration expiry_after_;
  WorkerMap workers_;
  ServiceMap services_;
  Clock::time_point next_heartbeat_;
  Clock::time_point next_grace_check_ = Clock::time_point::max();
  Clock::time_point next_sweep_ = Clock::time_point::max();
  Clock::time_point last_sweep_;
  std::unordered_map<int, std::size_t> queued_by_fd_;  // calls queued per client connection
  std::vector<std::string> lost_workers_;  // identities of workers whose connection closed
  std::uint64_t dispatch_count_ = 0;
  RateLimitedLog log_;

  // Counters: written only by the loop thread (plain load+store, no locked increment on the
  // hot path), read from anywhere.
  struct Counter {
    std::atomic<std::uint64_t> value{0};
    void add(std::uint64_t n = 1) noexcept {
      value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void set(std::uint64_t n) noexcept { value.store(n, std::memory_order_relaxed); }
    std::uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
  };
  Counter requests_, replies_, dropped_, not_found_, gone_, expired_, workers_count_, queued_;
  Counter queued_bytes_, busy_, expired_calls_, abandoned_calls_, not_allowed_;
  Counter cancelled_, progress_, progress_dropped_;

  mutable std::mutex counts_mutex_;
  std::map<std::string, std::size_t> counts_;  // id → workers; changes only on (un)registration
};

}  // namespace roc::detail
