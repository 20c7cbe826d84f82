// Client transport: per-thread DEALERs for sync calls, one I/O thread for async ones.
#include "client/client_core.hpp"

#include "transport/sockets.hpp"
#include "wire/attachment_frames.hpp"

#include "wire/mdp.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
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
// more is dropped instead of run. 8/MMI requests go without: the broker answers them at once, and
// a third-party broker would take a header in front of one for its body.
std::optional<mdp::CallHeader> header_for(std::string_view service, std::chrono::milliseconds timeout,
                                          bool attachments) {
  if (service.substr(0, 4) == "mmi.") return std::nullopt;
  constexpr std::chrono::milliseconds longest{std::numeric_limits<std::uint32_t>::max()};
  mdp::CallHeader header;
  header.timeout = std::clamp(timeout, std::chrono::milliseconds(0), longest);
  header.attachments = attachments;
  return header;
}

bool send_call(zmq::socket_t& socket, const std::string& service, mdp::Frames&& body,
               std::chrono::milliseconds timeout, bool attachments) {
  const auto header = header_for(service, timeout, attachments);
  return mdp::send_request(socket, service, std::move(body), header ? &*header : nullptr);
}

[[noreturn]] void throw_timeout(const std::string& service, std::chrono::milliseconds timeout) {
  throw TimeoutError(fmt::format("no reply from object '{}' within {} ms", service, timeout.count()));
}

[[noreturn]] void throw_unsent(const std::string& service) {
  throw TimeoutError(fmt::format("could not send a request for object '{}': the broker has not taken "
                                 "messages for {} ms",
                                 service, send_timeout_ms));
}

// The body frames of a reply, or nullopt when the frames are not a 7/MDP client message (logged
// and dropped) or the body is empty (a notification's acknowledgement).
std::optional<mdp::Frames> body_of(mdp::Frames& frames) {
  auto decoded = mdp::decode_at_client(frames);
  if (!decoded) {
    spdlog::warn("roc client: dropped a malformed reply from the broker: {}", decoded.error);
    return std::nullopt;
  }
  if (decoded.message->body.front().size() == 0) return std::nullopt;
  return std::move(decoded.message->body);
}

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
  io_thread_ = std::thread([this] { io_loop(); });
}

ClientCore::~ClientCore() {
  stopping_ = true;
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  io_thread_.join();
  ::close(wake_fd_);
  sockets_.clear();
}

zmq::socket_t ClientCore::make_socket() {
  auto socket = broker_socket(context_, zmq::socket_type::dealer, broker_, credentials_);
  socket.set(zmq::sockopt::sndtimeo, send_timeout_ms);
  socket.connect(broker_.calls());
  return socket;
}

zmq::socket_t& ClientCore::thread_socket() {
  std::lock_guard<std::mutex> lock(sockets_mutex_);
  auto& slot = sockets_[std::this_thread::get_id()];
  if (!slot) slot = std::make_unique<zmq::socket_t>(make_socket());
  return *slot;
}

Json ClientCore::request(const std::string& service, mdp::Frames body, std::int64_t id,
                         std::chrono::milliseconds timeout, AttachmentSource* reply_attachments) {
  Json reply;
  exchange(service, std::move(body), timeout, reply_attachments != nullptr, [&](mdp::ClientMessage& message) {
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
  exchange(service, mdp::one_frame(zmq::message_t(body.data(), body.size())), timeout, false,
           [&](mdp::ClientMessage& message) {
    if (message.service != service) return false;
    reply = std::string(text_of(message.body.front()));
    return true;
  });
  return reply;
}

void ClientCore::exchange(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout,
                          bool attachments, const std::function<bool(mdp::ClientMessage&)>& accept) {
  auto& socket = thread_socket();
  const auto deadline = Clock::now() + timeout;
  if (!send_call(socket, service, std::move(body), timeout, attachments)) throw_unsent(service);
  for (;;) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() < 0) throw_timeout(service, timeout);
    zmq::pollitem_t item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, remaining);
    if (!(item.revents & ZMQ_POLLIN)) continue;  // the deadline check above ends the wait
    mdp::Frames frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) continue;
    auto decoded = mdp::decode_at_client(frames);
    if (!decoded) {
      spdlog::warn("roc client: dropped a malformed reply from the broker: {}", decoded.error);
      continue;
    }
    if (accept(*decoded.message)) return;
  }
}

void ClientCore::send(const std::string& service, mdp::Frames body, std::chrono::milliseconds timeout) {
  if (!send_call(thread_socket(), service, std::move(body), timeout, false)) throw_unsent(service);
}

void ClientCore::request_async(const std::string& service, mdp::Frames body, std::int64_t id,
                               std::chrono::milliseconds timeout, ReplyHandler on_reply, ErrorHandler on_error) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) throw Error("roc client: the client is being destroyed");
    was_empty = queue_.empty();
    queue_.push_back(Outgoing{service, std::move(body), id, timeout, std::move(on_reply), std::move(on_error)});
  }
  // Only the first request of a burst wakes the I/O thread; it takes the whole queue at once.
  if (was_empty) {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

void ClientCore::io_loop() {
  zmq::socket_t socket = make_socket();
  std::vector<Outgoing> batch;
  while (!stopping_) {
    auto now = Clock::now();
    auto timeout = max_poll;
    if (earliest_deadline_ != Clock::time_point::max())
      timeout = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(earliest_deadline_ - now) +
                               std::chrono::milliseconds(1),
                           std::chrono::milliseconds(0), max_poll);
    zmq::pollitem_t items[] = {{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0}, {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, timeout);
    if (items[1].revents & ZMQ_POLLIN) {
      std::uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof count);
      {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        batch.swap(queue_);
      }
      io_send(batch, socket);
      batch.clear();
    }
    if (items[0].revents & ZMQ_POLLIN) io_receive(socket);
    now = Clock::now();
    if (now >= earliest_deadline_) io_expire(now);
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

void ClientCore::io_send(std::vector<Outgoing>& batch, zmq::socket_t& socket) {
  const auto now = Clock::now();
  for (auto& o : batch) {
    if (!send_call(socket, o.service, std::move(o.body), o.timeout, true)) {
      try {
        throw_unsent(o.service);
      } catch (...) {
        o.on_error(std::current_exception());
      }
      continue;
    }
    auto deadline = now + o.timeout;
    earliest_deadline_ = std::min(earliest_deadline_, deadline);
    pending_.emplace(o.id, Pending{deadline, std::move(o.service), o.timeout, std::move(o.on_reply),
                                   std::move(o.on_error)});
  }
}

void ClientCore::io_receive(zmq::socket_t& socket) {
  // Drain what is there without polling again: one wake-up serves a whole burst of replies.
  for (int i = 0; i < 1000; ++i) {
    mdp::Frames frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    auto body = body_of(frames);
    if (!body) continue;
    Json reply;
    try {
      reply = parse_reply(body->front());
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
    handler(std::move(reply), attachments_of(*body));
  }
}

void ClientCore::io_expire(Clock::time_point now) {
  earliest_deadline_ = Clock::time_point::max();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      auto on_error = std::move(it->second.on_error);
      auto service = std::move(it->second.service);
      auto timeout = it->second.timeout;
      it = pending_.erase(it);
      try {
        throw_timeout(service, timeout);
      } catch (...) {
        on_error(std::current_exception());
      }
    } else {
      earliest_deadline_ = std::min(earliest_deadline_, it->second.deadline);
      ++it;
    }
  }
}

}  // namespace roc::detail
