// The transport under roc::Client: request bodies out, reply bodies back, correlated by the
// JSON-RPC id. Sync calls use a socket of the calling thread (no thread hop on the hot path);
// async calls go through one I/O thread.
#pragma once

#include "transport/connection_monitor.hpp"
#include "wire/mdp.hpp"
#include "roc/attachment.hpp"
#include "roc/endpoints.hpp"
#include "roc/json.hpp"

#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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
  /// A progress event's body (a JSON object, PROTOCOL §2.6) of a call that asked for them.
  using ProgressHandler = std::function<void(const json::Value& event)>;

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
  /// Without a connection to the broker it waits for one only until an attempt to connect fails
  /// (ZeroMQ tries every 100 ms), then throws BrokerUnreachable without sending anything; a
  /// connection that drops while it waits for the reply throws BrokerUnreachable at once.
  /// Every request carries `timeout` and `call=id` in roc's call header (PROTOCOL §2.5, §2.6), so
  /// the broker and the worker drop it unrun once the caller has stopped waiting; when the
  /// timeout passes, the call is cancelled (on this thread's socket, which the broker matches a
  /// cancel by) before TimeoutError is thrown, so it neither runs on nor holds up later calls.
  /// `body` is the JSON frame and the attachments it names. With `reply_attachments`, the
  /// request asks for attachments (`attach=1`) and the reply's land there.
  /// Throws BrokerUnreachable, TimeoutError, ProtocolError (reply not JSON).
  Json request(const std::string& service, mdp::Frames body, std::int64_t id, std::chrono::milliseconds timeout,
               AttachmentSource* reply_attachments);

  /// Sends `body` and returns the first reply's raw body (for 8/MMI services, whose replies are
  /// not JSON-RPC). Throws BrokerUnreachable, TimeoutError.
  std::string request_raw(const std::string& service, std::string_view body, std::chrono::milliseconds timeout);

  /// Sends without waiting for anything (notifications; the empty reply is dropped later);
  /// throws BrokerUnreachable as request() does when there is no connection.
  /// `timeout` travels in the call header: the call is dropped unrun once it has waited that long.
  void send(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout);

  /// Queues the request for the I/O thread; exactly one of on_reply and on_error runs later on
  /// that thread. It asks for attachments in the reply, and for progress events when
  /// `on_progress` is set: it then runs on that thread for each event, before the outcome. A
  /// call whose timeout passes is cancelled, then fails with TimeoutError. Without a connection
  /// the request waits unsent until one is made, or fails with BrokerUnreachable when an attempt
  /// fails; calls sent already fail with BrokerUnreachable as soon as the connection drops.
  void request_async(const std::string& service, mdp::Frames body, std::int64_t id,
                     std::chrono::milliseconds timeout, ReplyHandler on_reply, ErrorHandler on_error,
                     ProgressHandler on_progress = {});

  /// Cancels async call `id` (PROTOCOL §2.6): the I/O thread sends the cancel on its socket, the
  /// one the call went out on. The broker's -32008 answer then ends the call as any reply does;
  /// if none comes within `cancel_grace` the call fails with roc::Cancelled anyway, so a cancel
  /// never hangs. Nothing happens once the call has its outcome or was cancelled already.
  void cancel_async(std::int64_t id);

  /// How long a cancelled call waits for the broker's answer before it fails locally.
  static constexpr std::chrono::milliseconds cancel_grace{1000};

 private:
  using Clock = std::chrono::steady_clock;
  struct Outgoing {
    std::string service;
    mdp::Frames body;
    std::int64_t id;
    std::chrono::milliseconds timeout;
    ReplyHandler on_reply;
    ErrorHandler on_error;
    ProgressHandler on_progress;
  };
  struct Pending {
    Clock::time_point deadline;
    /// Set while the call waits for a connection: what to send once there is one.
    std::optional<mdp::Frames> unsent;
    bool wants_progress = false;
    std::string service;
    std::chrono::milliseconds timeout;
    ReplyHandler on_reply;
    ErrorHandler on_error;
    ProgressHandler on_progress;
    /// Set once cancelled: when the call fails locally if the broker has not answered.
    Clock::time_point cancel_deadline = Clock::time_point::max();
    Clock::time_point next_deadline() const { return std::min(deadline, cancel_deadline); }
  };

  /// A DEALER to the broker and the monitor of its connection (the monitor goes first).
  struct Link {
    Link(zmq::socket_t dealer, zmq::context_t& context, const std::string& endpoint);
    zmq::socket_t socket;
    ConnectionMonitor monitor;
  };

  Link& thread_link();
  std::unique_ptr<Link> make_link();
  /// Returns once `link` is up; throws BrokerUnreachable when an attempt to connect fails first,
  /// TimeoutError (as for a call without a reply) when `deadline` passes first.
  void await_link(Link& link, Clock::time_point deadline, const std::string& service,
                  std::chrono::milliseconds timeout);
  /// Sends `body` (as call `call`; 0: no name, for 8/MMI) on the calling thread's socket, then
  /// hands each reply to `accept` until it returns true; events are skipped. Throws TimeoutError
  /// when the deadline passes first, after cancelling a named call.
  void exchange(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout, bool attachments,
                std::uint64_t call, const std::function<bool(mdp::ClientMessage&)>& accept);
  void io_loop();
  void io_send(std::vector<Outgoing>& batch, Link& link);
  /// Sends a pending call; false (and the call failed and erased) when the socket refuses it.
  bool io_send_pending(std::int64_t id, Pending& p, zmq::socket_t& socket);
  /// Acts on what the monitor saw: sends waiting calls when the link is up, fails them when an
  /// attempt fails, fails the calls sent when it is lost.
  void io_link_events(Link& link);
  void io_fail(bool sent, const std::exception_ptr& error);
  void io_cancel(const std::vector<std::int64_t>& ids, zmq::socket_t& socket);
  void io_receive(zmq::socket_t& socket);
  void io_progress(const mdp::ClientMessage& event);
  void io_expire(Clock::time_point now, zmq::socket_t& socket);
  void wake_io_thread();

  Endpoints broker_;
  const std::size_t attachment_min_bytes_;
  Credentials credentials_;  // resolved once: every thread's socket presents the same key
  zmq::context_t context_{1};
  std::atomic<std::int64_t> last_id_{0};

  std::mutex sockets_mutex_;
  std::unordered_map<std::thread::id, std::unique_ptr<Link>> sockets_;

  std::mutex queue_mutex_;
  std::vector<Outgoing> queue_;
  std::vector<std::int64_t> cancels_;  // ids to cancel, after queue_ is sent
  int wake_fd_ = -1;  // eventfd: the I/O thread polls it next to its socket
  std::atomic<bool> stopping_{false};
  std::unordered_map<std::int64_t, Pending> pending_;  // I/O thread only
  Clock::time_point earliest_deadline_ = Clock::time_point::max();  // I/O thread only
  std::thread io_thread_;
};

/// The id of a JSON-RPC response, when it is an integer; nullopt for null or other kinds.
bool response_id_matches(const json::Value& reply, std::int64_t id);

}  // namespace roc::detail
