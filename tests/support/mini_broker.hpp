// A minimal 7/MDP broker that behaves like the reference brokers (zguide's mdbroker), not like
// roc's: it is how the tests see roc's worker and client through a third-party broker's eyes.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace roc::test {

/// A ROUTER on 127.0.0.1 that registers workers on READY, hands each request to an idle worker,
/// forwards replies, sends HEARTBEAT only to idle workers (every `heartbeat`), forgets idle
/// workers silent for heartbeat × liveness, and answers every `mmi.*` request with "501".
/// Frames after the service name are forwarded untouched (roc's call header included).
class MiniBroker {
 public:
  struct Options {
    std::chrono::milliseconds heartbeat{100};
    int liveness = 3;
    /// Answer every READY with a DISCONNECT (without roc's reason frame).
    bool refuse_ready = false;
    /// Never send HEARTBEAT: to workers, a broker that has gone silent.
    bool silent = false;
    /// Honour roc's READY credit frame (several requests in flight per worker); else one at a time.
    bool credit = false;
  };

  explicit MiniBroker(Options options);
  ~MiniBroker();
  MiniBroker(const MiniBroker&) = delete;
  MiniBroker& operator=(const MiniBroker&) = delete;

  std::string endpoint() const { return endpoint_; }
  /// Identities that sent READY, in order (one entry per READY).
  std::vector<std::string> readies() const;
  /// DISCONNECTs received from workers.
  int disconnects() const { return disconnects_.load(); }

 private:
  void run();

  const Options options_;
  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string endpoint_;
  mutable std::mutex mutex_;
  std::vector<std::string> readies_;
  std::atomic<int> disconnects_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace roc::test
