// One 7/MDP worker: a DEALER connected to the broker, serving one object id through a Dispatcher;
// and the keeper thread that looks after workers while their calls run.
#pragma once

#include "server/call_state.hpp"
#include "server/dispatcher.hpp"
#include "transport/connection_monitor.hpp"
#include "wire/mdp.hpp"
#include "roc/server.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace roc::detail {

class Worker;

/// One thread per server that works for its workers while they are inside a call: it sends
/// their heartbeats, and once a call has run for a tick (~1 ms) it takes the messages arriving
/// on their sockets, stamping each with its arrival time so a request's deadline counts from
/// when it reached this process, not from when the call before it ended. A CANCEL it takes is
/// acted on at once (PROTOCOL §2.6): the running method sees it within a tick.
///
/// It costs short calls nothing: a worker only tells the keeper that a call started when the
/// keeper has gone to sleep (after a while without any call), so no system call is added per
/// call. While calls flow the keeper ticks on its own: every millisecond during a long call,
/// backing off to every 8 ms while calls are all short (so a long call is taken over at most
/// ~16 ms into it, and from then on stamps are at most a millisecond late).
class WorkerKeeper {
 public:
  explicit WorkerKeeper(std::chrono::milliseconds heartbeat_interval);
  /// Stops and joins.
  ~WorkerKeeper();
  WorkerKeeper(const WorkerKeeper&) = delete;
  WorkerKeeper& operator=(const WorkerKeeper&) = delete;

  /// Looks after `worker` from now on; it must stay alive until stop().
  void add(Worker& worker);
  void start();
  void stop();
  /// Called by a worker's thread as a call starts: wakes the keeper only if it sleeps.
  void call_started() {
    if (sleeping_.load()) wake();
  }

 private:
  void run();
  void wake();

  const std::chrono::milliseconds heartbeat_interval_;
  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::vector<Worker*> workers_;  // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  std::atomic<bool> sleeping_{false};
  std::thread thread_;
};

/// Runs the worker side of 7/MDP in its own thread: READY with roc's credit, REQUEST → dispatch →
/// REPLY (one call at a time, in arrival order), heartbeats, and reconnection when the broker is
/// lost or says DISCONNECT.
///
/// Calls run in the worker's thread with the socket's mutex released, so the keeper can use the
/// socket meanwhile (look_after). Messages it takes wait in `pending_` and are handled before
/// anything still on the socket, so the order stays the broker's — except CANCEL (PROTOCOL §2.6),
/// which is acted on when it is read: it tells the running call at once, or marks a request in
/// `pending_` so that it is answered -32008 without running when its turn comes.
class Worker {
 public:
  Worker(zmq::context_t& context, Endpoints broker, Credentials credentials, std::string object_id,
         std::shared_ptr<Dispatcher> dispatcher, const ServerOptions& options, WorkerKeeper& keeper);
  /// Stops and joins.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  /// Asks the thread to finish (after the call in progress) and joins it.
  void stop();

  using Clock = std::chrono::steady_clock;
  enum class Activity { idle, short_calls, long_call };
  /// The keeper's tick: while a call runs, sends a HEARTBEAT when one is due and, when the same
  /// call was already running at the previous tick, takes what arrived on the socket.
  /// Says what the worker did since the last tick: nothing, calls that ended, or one call still.
  Activity look_after(Clock::time_point now);
  /// Whether a call is running.
  bool busy() const noexcept { return busy_.load(); }

 private:
  struct Received {
    mdp::WorkerMessage message;
    Clock::time_point at;
    bool cancelled = false;  // a CANCEL named it while it waited in pending_
  };

  void run();
  /// Acts on one message from the broker; runs a request with `lock` released.
  void handle(Received& received, std::unique_lock<std::mutex>& lock);
  void run_request(Received& received, std::unique_lock<std::mutex>& lock);
  /// A DISCONNECT: register again at once, or after a pause when the broker refuses our READY.
  void on_disconnect(const std::string& reason, std::unique_lock<std::mutex>& lock);
  /// A CANCEL: marks the request it names in pending_, or returns the running call's state for
  /// the caller to cancel once it released the socket mutex (see ServerCallState's lock order); null
  /// when it names neither (answered already, or never here). Needs socket_mutex_.
  std::shared_ptr<ServerCallState> take_cancel(const mdp::WorkerMessage& cancel);
  /// Sends one PROGRESS of the running call; drops it when the socket is full. Takes socket_mutex_.
  void send_progress(const zmq::message_t& client, std::uint64_t call, std::string_view body);
  /// Decodes one message read from the socket; false (and logged) when it is not 7/MDP.
  bool decode(mdp::Frames& frames, Clock::time_point at, std::optional<Received>& out);
  /// Waits `delay` (or until stop()) with the socket mutex released.
  void pause(std::chrono::milliseconds delay, std::unique_lock<std::mutex>& lock);
  void connect();                      // needs socket_mutex_
  /// Logs what the connection monitor saw, once per change: unreachable, connected, lost.
  void watch_link();                   // needs socket_mutex_
  void abandon();                      // needs socket_mutex_: DISCONNECT, then close
  void send_heartbeat(Clock::time_point now);  // needs socket_mutex_
  /// A HEARTBEAT from the broker: keeps pace with a broker that beats faster than we do, since it
  /// also drops us after `liveness` of its own intervals. Needs socket_mutex_.
  void on_broker_heartbeat(Clock::time_point at);

  zmq::context_t& context_;
  const Endpoints broker_;
  const Credentials credentials_;
  const std::string endpoint_;  // broker_.calls()
  const std::string object_id_;
  const std::shared_ptr<Dispatcher> dispatcher_;
  const ServerOptions options_;
  WorkerKeeper& keeper_;

  std::mutex socket_mutex_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<ConnectionMonitor> monitor_;  // of socket_; reset before it
  // Guarded by socket_mutex_:
  Clock::time_point last_sent_{};
  Clock::time_point last_heard_{};
  std::deque<Received> pending_;  // taken off the socket by the keeper during a call
  bool heard_since_ready_ = false;
  std::chrono::milliseconds heartbeat_interval_;  // ours, or the broker's when it beats faster
  Clock::time_point last_broker_heartbeat_{};
  // The call running now, for a CANCEL that names it: its client's address, call=N and state.
  const zmq::message_t* running_client_ = nullptr;
  std::uint64_t running_call_ = 0;
  std::shared_ptr<ServerCallState> running_state_;
  // The worker thread's own:
  int refusals_ = 0;               // DISCONNECTs in a row that answered our READY
  std::string last_refusal_;       // logged once, not at every retry
  bool link_up_ = false;           // as last logged
  bool link_down_logged_ = false;  // unreachable or lost, said once per outage

  std::atomic<bool> busy_{false};
  std::atomic<std::uint64_t> calls_{0};  // calls started; the keeper compares it between ticks
  std::uint64_t calls_seen_ = 0;         // the keeper's
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace roc::detail
