// The transport under roc::Client: request bodies out, reply bodies back, correlated by the
// JSON-RPC id. Sync calls use a socket of the calling thread (no thread hop on the hot path);
// async calls go through one I/O thread.
#pragma once

#include "wire/mdp.hpp"
#include "roc/attachment.hpp"
#include "roc/endpoints.hpp"
#include "roc/json.hpp"

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace roc::detail {

class ClientCore {
 public:
  /// A reply's JSON and its attachments (empty unless the request asked for them).
  using ReplyHandler = std::function<void(Json&& reply, AttachmentSource&& attachments)>;
  using ErrorHandler = std::function<void(std::exception_ptr)>;

  /// Parameter values of at least `attachment_min_bytes` bytes go as attachments.
  ClientCore(Endpoints broker, std::size_t attachment_min_bytes);
  /// Fails every pending async call with roc::Error and joins the I/O thread. Sync calls must
  /// have returned (the Client that owns the core is being destroyed).
  ~ClientCore();

  std::int64_t next_id() noexcept { return ++last_id_; }
  const Endpoints& broker() const noexcept { return broker_; }
  std::size_t attachment_min_bytes() const noexcept { return attachment_min_bytes_; }

  /// Sends `body` to `service` and waits for the reply whose id is `id` (or whose id is null:
  /// a parse error about this very body). Replies to earlier, timed-out calls are skipped.
  /// Every request carries `timeout` in roc's call header (PROTOCOL §2.5), so the broker and the
  /// worker drop it unrun once the caller has stopped waiting.
  /// `body` is the JSON frame and the attachments it names. With `reply_attachments`, the
  /// request asks for attachments (`attach=1`) and the reply's land there.
  /// Throws TimeoutError, ProtocolError (reply not JSON).
  Json request(const std::string& service, mdp::Frames body, std::int64_t id, std::chrono::milliseconds timeout,
               AttachmentSource* reply_attachments);

  /// Sends `body` and returns the first reply's raw body (for 8/MMI services, whose replies are
  /// not JSON-RPC). Throws TimeoutError.
  std::string request_raw(const std::string& service, std::string_view body, std::chrono::milliseconds timeout);

  /// Sends without waiting for anything (notifications; the empty reply is dropped later).
  /// `timeout` travels in the call header: the call is dropped unrun once it has waited that long.
  void send(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout);

  /// Queues the request for the I/O thread; exactly one handler runs later on that thread.
  /// It asks for attachments in the reply.
  void request_async(const std::string& service, mdp::Frames body, std::int64_t id,
                     std::chrono::milliseconds timeout, ReplyHandler on_reply, ErrorHandler on_error);

 private:
  using Clock = std::chrono::steady_clock;
  struct Outgoing {
    std::string service;
    mdp::Frames body;
    std::int64_t id;
    std::chrono::milliseconds timeout;
    ReplyHandler on_reply;
    ErrorHandler on_error;
  };
  struct Pending {
    Clock::time_point deadline;
    std::string service;
    std::chrono::milliseconds timeout;
    ReplyHandler on_reply;
    ErrorHandler on_error;
  };

  zmq::socket_t& thread_socket();
  /// Sends `body` on the calling thread's socket, then hands each reply to `accept` until it
  /// returns true. Throws TimeoutError when the deadline passes first.
  void exchange(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout,
                bool attachments, const std::function<bool(mdp::ClientMessage&)>& accept);
  zmq::socket_t make_socket();
  void io_loop();
  void io_send(std::vector<Outgoing>& batch, zmq::socket_t& socket);
  void io_receive(zmq::socket_t& socket);
  void io_expire(Clock::time_point now);

  Endpoints broker_;
  const std::size_t attachment_min_bytes_;
  Credentials credentials_;  // resolved once: every thread's socket presents the same key
  zmq::context_t context_{1};
  std::atomic<std::int64_t> last_id_{0};

  std::mutex sockets_mutex_;
  std::unordered_map<std::thread::id, std::unique_ptr<zmq::socket_t>> sockets_;

  std::mutex queue_mutex_;
  std::vector<Outgoing> queue_;
  int wake_fd_ = -1;  // eventfd: the I/O thread polls it next to its socket
  std::atomic<bool> stopping_{false};
  std::unordered_map<std::int64_t, Pending> pending_;  // I/O thread only
  Clock::time_point earliest_deadline_ = Clock::time_point::max();  // I/O thread only
  std::thread io_thread_;
};

/// The id of a JSON-RPC response, when it is an integer; nullopt for null or other kinds.
bool response_id_matches(const json::Value& reply, std::int64_t id);

}  // namespace roc::detail
