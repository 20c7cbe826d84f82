// Admission to a secured broker (docs/security.md): the ZAP handler (ZeroMQ RFC 27) that libzmq
// asks, during each CURVE handshake on the broker's sockets, whether the client's public key may
// connect — and the watch that keeps the admitted keys in step with the allow directory.
#pragma once

#include "broker/keyring.hpp"
#include "broker/rate_limited_log.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace roc::detail {

/// The ZAP handler of one broker context, in a thread of its own: admission needs a reply while
/// the broker's call loop is busy, and a reload reads files, which the call loop must never wait
/// for. Answers 200 with the client's Z85 public key as User-Id (sender_key() reads it) when the
/// current Keyring admits the key, 400 otherwise; every refusal of any kind is counted.
class Authenticator {
 public:
  /// Loads the first generation of keys into `keyring`: the allow directory's, or any key when
  /// `allow_directory` is empty. Throws roc::Error naming the directory when it cannot be read.
  Authenticator(KeyringHolder& keyring, std::string allow_directory);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  /// Binds the ZAP endpoint in `context` and starts answering; call before the broker's sockets
  /// bind, so that no handshake finds nobody to ask. Throws zmq::error_t when the endpoint is
  /// taken (one handler per context). Does nothing when already started.
  void start(zmq::context_t& context);
  /// Stops the thread and closes its sockets; idempotent. Call after the broker's sockets have
  /// closed: a CURVE handshake that finds no handler is let in without a key (libzmq's rule).
  void stop();

  /// Re-reads the allow directory now and swaps the keys in; a directory that cannot be read
  /// keeps the keys in use and logs an error. Does nothing without an allow directory.
  /// Thread-safe; returns once the new keys are in force.
  void reload();

  std::uint64_t admitted() const noexcept { return admitted_.load(std::memory_order_relaxed); }
  std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

 private:
  void serve();
  void answer(std::vector<zmq::message_t>& request);
  // Reloads when the directory's fingerprint changed since the last load (the watch).
  void reload_if_changed();
  // Loads when `force` or when the fingerprint changed. Called with reload_mutex_ held.
  void reload_locked(bool force);
  // Logs one admission or refusal, unless the same outcome for the same key was logged lately.
  void log_outcome(bool admitted, const std::string& key, const std::string& name, const std::string& address);

  KeyringHolder& keyring_;
  const std::string directory_;
  std::mutex reload_mutex_;
  std::string fingerprint_;  // of the directory as last loaded; guarded by reload_mutex_

  zmq::context_t* context_ = nullptr;
  zmq::socket_t handler_;  // ROUTER at inproc://zeromq.zap.01: unlike REP, it may leave garbage unanswered
  zmq::socket_t wake_;
  std::string wake_endpoint_;
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<std::uint64_t> refused_{0};

  // Used by the ZAP thread only. A key that reconnects in a loop gets one line per
  // log_repeat_window, with the count of the repeats held back; distinct keys share one burst
  // limit, so a flood of fresh keys cannot flood the log either.
  struct Repeats {
    std::chrono::steady_clock::time_point logged;
    std::uint64_t held_back = 0;
  };
  std::unordered_map<std::string, Repeats> repeats_;
  RateLimitedLog log_;
};

}  // namespace roc::detail
