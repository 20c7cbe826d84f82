// Client transport: per-thread DEALERs for sync calls, one I/O thread for async ones.
#include "client/client_core.hpp"

#include "transport/sockets.hpp"
#include "wire/attachment_frames.hpp"

#include "wire/mdp.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>

namespace roc::detail {
namespace {

// A request the socket refuses for this long (queue full, broker away) fails with TimeoutError.
constexpr int send_timeout_ms = 1000;
constexpr auto max_poll = std::chrono::milliseconds(100);

std::string_view text_of(const zmq::message_t& m) { return {static_cast<const char*>(m.data()), m.size()}; }

// roc's call header with the caller's timeout (PROTOCOL §2.5), so that a call nobody waits for any
// more is dropped instead of run, and the call's name (§2.6; 0 for notifications, which cannot be
// cancelled) that a cancel and progress events refer to. 8/MMI requests go without: the broker
// answers them at once, and a third-party broker would take a header in front of one for its body.
std::optional<mdp::CallHeader> header_for(std::string_view service, std::chrono::milliseconds timeout,
                                          bool attachments, std::uint64_t call, bool progress) {
  if (service.substr(0, 4) == "mmi.") return std::nullopt;
  constexpr std::chrono::milliseconds longest{std::numeric_limits<std::uint32_t>::max()};
  mdp::CallHeader header;
  header.timeout = std::clamp(timeout, std::chrono::milliseconds(0), longest);
  header.attachments = attachments;
  header.call = call;
  header.progress = progress;
  return header;
}

bool send_call(zmq::socket_t& socket, const std::string& service, mdp::Frames&& body,
               std::chrono::milliseconds timeout, bool attachments, std::uint64_t call = 0, bool progress = false) {
  const auto header = header_for(service, timeout, attachments, call, progress);
  return mdp::send_request(socket, service, std::move(body), header ? &*header : nullptr);
}

// A lost cancel costs only the remote work it would have saved: the caller has its outcome anyway.
void send_cancel(zmq::socket_t& socket, const std::string& service, std::uint64_t call) {
  if (!mdp::send_cancel_request(socket, service, call))
    spdlog::debug("roc client: could not send the cancel of call {} to '{}': the broker takes no messages", call,
                  service);
}

[[noreturn]] void throw_timeout(const std::string& service, std::chrono::milliseconds timeout) {
  throw TimeoutError(fmt::format("no reply from object '{}' within {} ms", service, timeout.count()));
}

// The reason of a call that was sent when the connection dropped: the broker may have passed it on.
constexpr const char* lost_in_flight = "lost the connection; the call may have run";

[[noreturn]] void throw_unsent(const std::string& service) {
  throw TimeoutError(fmt::format("could not send a request for object '{}': the broker has not taken "
                                 "messages for {} ms",
                                 service, send_timeout_ms));
}

// The message, or nullopt when the frames are not a 7/MDP client message (logged and dropped).
std::optional<mdp::ClientMessage> message_of(mdp::Frames& frames) {
  auto decoded = mdp::decode_at_client(frames);
  if (!decoded) {
    spdlog::warn("roc client: dropped a malformed reply from the broker: {}", decoded.error);
    return std::nullopt;
  }
  return std::move(decoded.message);
}

// Events (PROTOCOL §2.6) are the messages that lead with a call header; replies never do.
bool is_event(const mdp::ClientMessage& message) { return message.header.has_value(); }

Json parse_reply(const zmq::message_t& body) {
  try {
    return Json::parse(text_of(body));
  } catch (const std::invalid_argument& error) {
    throw ProtocolError(fmt::format("the reply is not JSON: {}", error.what()));
  }
}

}  // namespace

bool response_id_matches(const json::Value& reply, std::int64_t id) {
  if (!reply.IsObject()) return true;  // a batch or garbage: let the caller report it
  auto member = reply.FindMember("id");
  if (member == reply.MemberEnd() || member->value.IsNull()) return true;
  return member->value.IsInt64() && member->value.GetInt64() == id;
}

ClientCore::ClientCore(Endpoints broker, std::size_t attachment_min_bytes)
    : broker_(std::move(broker)), attachment_min_bytes_(attachment_min_bytes), credentials_(broker_.credentials()) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw Error("roc client: cannot create an eventfd for its I/O thread");
  // The I/O thread takes no signals: a handler (the CLI's Ctrl-C) would interrupt its poll, and it
  // inherits the mask of the thread that starts it.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  io_thread_ = std::thread([this] { io_loop(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

ClientCore::~ClientCore() {
  stopping_ = true;
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  io_thread_.join();
  ::close(wake_fd_);
  sockets_.clear();
}

ClientCore::Link::Link(zmq::socket_t dealer, zmq::context_t& context, const std::string& endpoint)
    : socket(std::move(dealer)), monitor(context, socket, endpoint) {
  socket.set(zmq::sockopt::sndtimeo, send_timeout_ms);
  // Requests go only into a connection that is up: one sent during an outage would otherwise wait
  // in the socket and run after the broker is back, long after its caller was told it failed.
  socket.set(zmq::sockopt::immediate, 1);
  socket.connect(endpoint);
}

std::unique_ptr<ClientCore::Link> ClientCore::make_link() {
  return std::make_unique<Link>(broker_socket(context_, zmq::socket_type::dealer, broker_, credentials_), context_,
                                broker_.calls());
}

ClientCore::Link& ClientCore::thread_link() {
  std::lock_guard<std::mutex> lock(sockets_mutex_);
  auto& slot = sockets_[std::this_thread::get_id()];
  if (!slot) slot = make_link();
  return *slot;
}

void ClientCore::await_link(Link& link, Clock::time_point deadline, const std::string& service,
                            std::chrono::milliseconds timeout) {
  // What queued while the socket was idle is history; the state it leaves is now: up, failing (the
  // last attempt failed, at most a retry interval ago), or connecting, where the call waits for
  // the attempt's outcome.
  while (link.monitor.next()) {
  }
  if (!link.monitor.failure().empty()) throw BrokerUnreachable(link.monitor.endpoint(), link.monitor.failure());
  while (!link.monitor.up()) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    // No TCP connection in time (a host that drops packets), or one the broker never completes
    // (CURVE: a key it does not admit): as before, a call without a reply.
    if (remaining.count() < 0) throw_timeout(service, timeout);
    zmq::pollitem_t item = link.monitor.poll_item();
    zmq::poll(&item, 1, remaining);
    while (auto event = link.monitor.next()) {
      if (event->kind == LinkEvent::Kind::attempt_failed)
        throw BrokerUnreachable(link.monitor.endpoint(), event->reason);
    }
  }
}

Json ClientCore::request(const std::string& service, mdp::Frames body, std::int64_t id,
                         std::chrono::milliseconds timeout, AttachmentSource* reply_attachments) {
  Json reply;
  const auto call = static_cast<std::uint64_t>(id);
  exchange(service, std::move(body), timeout, reply_attachments != nullptr, call, [&](mdp::ClientMessage& message) {
    auto& reply_body = message.body.front();
    if (reply_body.size() == 0) return false;  // a notification's acknowledgement
    reply = parse_reply(reply_body);
    // A different id is the late reply of an earlier call from this thread that timed out.
    if (!response_id_matches(reply.value(), id)) return false;
    if (reply_attachments != nullptr) *reply_attachments = attachments_of(message.body);
    return true;
  });
  return reply;
}

std::string ClientCore::request_raw(const std::string& service, std::string_view body,
                                    std::chrono::milliseconds timeout) {
  std::string reply;
  exchange(service, mdp::one_frame(zmq::message_t(body.data(), body.size())), timeout, false, 0,
           [&](mdp::ClientMessage& message) {
    if (message.service != service) return false;
    reply = std::string(text_of(message.body.front()));
    return true;
  });
  return reply;
}

void ClientCore::exchange(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout,
                          bool attachments, std::uint64_t call,
                          const std::function<bool(mdp::ClientMessage&)>& accept) {
  auto& link = thread_link();
  auto& socket = link.socket;
  const auto deadline = Clock::now() + timeout;
  await_link(link, deadline, service, timeout);
  if (!send_call(socket, service, std::move(body), timeout, attachments, call)) {
    // The connection dropped just now and took the socket's only pipe with it.
    while (link.monitor.next()) {
    }
    if (!link.monitor.up()) throw BrokerUnreachable(link.monitor.endpoint(), "lost the connection");
    throw_unsent(service);
  }
  for (;;) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() < 0) {
      if (call != 0) send_cancel(socket, service, call);
      throw_timeout(service, timeout);
    }
    zmq::pollitem_t items[] = {{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0}, link.monitor.poll_item()};
    zmq::poll(items, 2, remaining);
    if (!(items[0].revents & ZMQ_POLLIN)) {
      // A reply that came before the drop was read first (it is there with the event).
      if (items[1].revents & ZMQ_POLLIN) {
        while (auto event = link.monitor.next())
          if (event->kind == LinkEvent::Kind::lost) throw BrokerUnreachable(link.monitor.endpoint(), lost_in_flight);
      }
      continue;  // the deadline check above ends the wait
    }
    mdp::Frames frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) continue;
    auto decoded = mdp::decode_at_client(frames);
    if (!decoded) {
      spdlog::warn("roc client: dropped a malformed reply from the broker: {}", decoded.error);
      continue;
    }
    if (is_event(*decoded.message)) continue;  // a sync call asks for none: a stray one of an earlier call
    if (accept(*decoded.message)) return;
  }
}

void ClientCore::send(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout) {
  auto& link = thread_link();
  await_link(link, Clock::now() + timeout, service, timeout);
  if (!send_call(link.socket, service, std::move(body), timeout, false)) throw_unsent(service);
}

void ClientCore::request_async(const std::string& service, mdp::Frames body, std::int64_t id,
                               std::chrono::milliseconds timeout, ReplyHandler on_reply, ErrorHandler on_error,
                               ProgressHandler on_progress) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) throw Error("roc client: the client is being destroyed");
    was_empty = queue_.empty() && cancels_.empty();
    queue_.push_back(Outgoing{service, std::move(body), id, timeout, std::move(on_reply), std::move(on_error),
                              std::move(on_progress)});
  }
  // Only the first request of a burst wakes the I/O thread; it takes the whole queue at once.
  if (was_empty) wake_io_thread();
}

void ClientCore::cancel_async(std::int64_t id) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) return;  // every pending call fails with roc::Error anyway
    was_empty = queue_.empty() && cancels_.empty();
    cancels_.push_back(id);
  }
  if (was_empty) wake_io_thread();
}

void ClientCore::wake_io_thread() {
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void ClientCore::io_loop() {
  const auto link = make_link();
  auto& socket = link->socket;
  std::vector<Outgoing> batch;
  std::vector<std::int64_t> cancels;
  while (!stopping_) {
    auto now = Clock::now();
    auto timeout = max_poll;
    if (earliest_deadline_ != Clock::time_point::max())
      timeout = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(earliest_deadline_ - now) +
                               std::chrono::milliseconds(1),
                           std::chrono::milliseconds(0), max_poll);
    zmq::pollitem_t items[] = {{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0},
                               {nullptr, wake_fd_, ZMQ_POLLIN, 0},
                               link->monitor.poll_item()};
    zmq::poll(items, 3, timeout);
    if (items[1].revents & ZMQ_POLLIN) {
      std::uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof count);
      {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        batch.swap(queue_);
        cancels.swap(cancels_);
      }
      // Requests first: a cancel taken in the same batch may be for one of them.
      io_send(batch, *link);
      batch.clear();
      io_cancel(cancels, socket);
      cancels.clear();
    }
    if (items[0].revents & ZMQ_POLLIN) io_receive(socket);
    // After the replies: one that came before a drop is not failed for it.
    if (items[2].revents & ZMQ_POLLIN) io_link_events(*link);
    now = Clock::now();
    if (now >= earliest_deadline_) io_expire(now, socket);
  }
  std::vector<Outgoing> unsent;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    unsent.swap(queue_);
  }
  auto gone = std::make_exception_ptr(Error("roc client destroyed before the reply arrived"));
  for (auto& o : unsent) o.on_error(gone);
  for (auto& [id, p] : pending_) p.on_error(gone);
  pending_.clear();
}

void ClientCore::io_send(std::vector<Outgoing>& batch, Link& link) {
  const auto now = Clock::now();
  // The state the events queued so far leave: a request is not held back by a link that is up.
  io_link_events(link);
  for (auto& o : batch) {
    if (!link.monitor.failure().empty()) {
      o.on_error(std::make_exception_ptr(BrokerUnreachable(link.monitor.endpoint(), link.monitor.failure())));
      continue;
    }
    auto deadline = now + o.timeout;
    earliest_deadline_ = std::min(earliest_deadline_, deadline);
    const bool progress = static_cast<bool>(o.on_progress);
    auto [it, added] = pending_.emplace(o.id, Pending{deadline, std::move(o.body), progress, std::move(o.service),
                                                      o.timeout, std::move(o.on_reply), std::move(o.on_error),
                                                      std::move(o.on_progress)});
    // Without a connection it waits for io_link_events: sent when one is made, failed when an
    // attempt fails; at once when the last attempt failed.
    if (added && link.monitor.up()) io_send_pending(o.id, it->second, link.socket);
  }
}

bool ClientCore::io_send_pending(std::int64_t id, Pending& p, zmq::socket_t& socket) {
  auto body = std::move(*p.unsent);
  p.unsent.reset();
  if (send_call(socket, p.service, std::move(body), p.timeout, true, static_cast<std::uint64_t>(id),
                p.wants_progress))
    return true;
  auto on_error = std::move(p.on_error);
  auto service = p.service;
  pending_.erase(id);
  try {
    throw_unsent(service);
  } catch (...) {
    on_error(std::current_exception());
  }
  return false;
}

void ClientCore::io_link_events(Link& link) {
  while (auto event = link.monitor.next()) {
    switch (event->kind) {
      case LinkEvent::Kind::up: {
        std::vector<std::int64_t> waiting;
        for (auto& [id, p] : pending_)
          if (p.unsent) waiting.push_back(id);
        std::sort(waiting.begin(), waiting.end());  // in the order they were made
        for (auto id : waiting) io_send_pending(id, pending_.at(id), link.socket);
        break;
      }
      case LinkEvent::Kind::lost:
        io_fail(true, std::make_exception_ptr(BrokerUnreachable(link.monitor.endpoint(), lost_in_flight)));
        break;
      case LinkEvent::Kind::attempt_failed:
        io_fail(false, std::make_exception_ptr(BrokerUnreachable(link.monitor.endpoint(), event->reason)));
        break;
    }
  }
}

void ClientCore::io_fail(bool sent, const std::exception_ptr& error) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.unsent.has_value() == sent) {
      ++it;
      continue;
    }
    auto on_error = std::move(it->second.on_error);
    it = pending_.erase(it);
    on_error(error);
  }
}

void ClientCore::io_cancel(const std::vector<std::int64_t>& ids, zmq::socket_t& socket) {
  const auto grace_end = Clock::now() + cancel_grace;
  for (auto id : ids) {
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.cancel_deadline != Clock::time_point::max()) continue;
    if (it->second.unsent) {  // nothing to tell the broker: it never saw the call
      auto on_error = std::move(it->second.on_error);
      pending_.erase(it);
      on_error(std::make_exception_ptr(Cancelled("cancelled: the call was cancelled before it was sent")));
      continue;
    }
    send_cancel(socket, it->second.service, static_cast<std::uint64_t>(id));
    it->second.cancel_deadline = grace_end;
    earliest_deadline_ = std::min(earliest_deadline_, grace_end);
  }
}

void ClientCore::io_receive(zmq::socket_t& socket) {
  // Drain what is there without polling again: one wake-up serves a whole burst of replies.
  for (int i = 0; i < 1000; ++i) {
    mdp::Frames frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    auto message = message_of(frames);
    if (!message) continue;
    if (is_event(*message)) {
      io_progress(*message);
      continue;
    }
    auto& body = message->body;
    if (body.front().size() == 0) continue;  // a notification's acknowledgement
    Json reply;
    try {
      reply = parse_reply(body.front());
    } catch (const ProtocolError& error) {
      spdlog::warn("roc client: dropped a reply: {}", error.what());
      continue;
    }
    const auto& v = reply.value();
    auto id = v.IsObject() ? v.FindMember("id") : v.MemberEnd();
    if (!v.IsObject() || id == v.MemberEnd() || !id->value.IsInt64()) continue;
    auto it = pending_.find(id->value.GetInt64());
    if (it == pending_.end()) continue;  // timed out already
    auto handler = std::move(it->second.on_reply);
    pending_.erase(it);
    handler(std::move(reply), attachments_of(body));
  }
}

// Progress is lossy by design (PROTOCOL §2.6): an event that cannot be delivered is dropped.
void ClientCore::io_progress(const mdp::ClientMessage& event) {
  if (event.header->event != mdp::CallHeader::Event::progress) return;  // a later version's kind
  auto it = pending_.find(static_cast<std::int64_t>(event.header->call));
  if (it == pending_.end() || !it->second.on_progress) return;  // ended already, or never asked
  Json body;
  try {
    body = Json::parse(text_of(event.body.front()));
  } catch (const std::invalid_argument& error) {
    spdlog::debug("roc client: dropped a progress event that is not JSON: {}", error.what());
    return;
  }
  if (body.value().IsObject()) it->second.on_progress(body.value());
}

void ClientCore::io_expire(Clock::time_point now, zmq::socket_t& socket) {
  earliest_deadline_ = Clock::time_point::max();
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto& p = it->second;
    if (p.next_deadline() > now) {
      earliest_deadline_ = std::min(earliest_deadline_, p.next_deadline());
      ++it;
      continue;
    }
    const auto call = static_cast<std::uint64_t>(it->first);
    // A cancelled call ends as cancelled even when its timeout comes before the broker's answer.
    const bool cancelled = p.cancel_deadline != Clock::time_point::max();
    const bool unsent = p.unsent.has_value();
    auto on_error = std::move(p.on_error);
    auto service = std::move(p.service);
    auto timeout = p.timeout;
    it = pending_.erase(it);
    try {
      if (cancelled)
        throw Cancelled(fmt::format("cancelled: the call to '{}' was cancelled; the broker did not confirm it "
                                    "within {} ms",
                                    service, cancel_grace.count()));
      // Nobody waits for the call any more: it should neither run on nor hold up the calls behind it.
      if (!unsent) send_cancel(socket, service, call);
      throw_timeout(service, timeout);
    } catch (...) {
      on_error(std::current_exception());
    }
  }
}

}  // namespace roc::detail
