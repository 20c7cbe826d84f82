// One 7/MDP worker: a DEALER connected to the broker, serving one object id through a Dispatcher.
#pragma once

#include "dispatcher.hpp"
#include "mdp.hpp"
#include "roc/server.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace roc::detail {

/// Runs the worker side of 7/MDP in its own thread: READY with roc's credit, REQUEST → dispatch →
/// REPLY (one call at a time, in arrival order), heartbeats, and reconnection when the broker is
/// lost or says DISCONNECT.
///
/// Calls run in the worker's thread. While one runs, the socket is idle and its mutex free, so
/// the server's keeper thread can send heartbeats through it (keep_alive): a method may take
/// longer than the broker's expiry without being dropped.
class Worker {
 public:
  Worker(zmq::context_t& context, std::string broker_endpoint, std::string object_id,
         std::shared_ptr<Dispatcher> dispatcher, const ServerOptions& options);
  /// Stops and joins.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  /// Asks the thread to finish (after the call in progress) and joins it.
  void stop();
  /// Sends a HEARTBEAT if a call has been running for a heartbeat interval. Thread-safe; called
  /// by the server's keeper thread.
  void keep_alive();

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  /// Acts on one message from the broker; runs a request with `lock` released.
  void handle(mdp::Frames& frames, std::unique_lock<std::mutex>& lock);
  void connect();     // needs socket_mutex_
  void disconnect();  // needs socket_mutex_
  void send_heartbeat(Clock::time_point now);  // needs socket_mutex_

  zmq::context_t& context_;
  const std::string endpoint_;
  const std::string object_id_;
  const std::shared_ptr<Dispatcher> dispatcher_;
  const ServerOptions options_;

  std::mutex socket_mutex_;
  std::unique_ptr<zmq::socket_t> socket_;
  Clock::time_point last_sent_{};  // guarded by socket_mutex_
  std::atomic<bool> busy_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace roc::detail
