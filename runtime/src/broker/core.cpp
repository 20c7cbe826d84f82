// Routing of 7/MDP calls with roc's credit extension: registration, dispatch by free credit,
// bounded per-object queues with the callers' deadlines, heartbeats and expiry, and the error
// replies for calls nobody can serve.
#include "broker/core.hpp"

#include "broker/mmi.hpp"
#include "broker/oversize.hpp"
#include "wire/attachment_frames.hpp"
#include "wire/jsonrpc.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace roc::detail {
namespace {

std::string_view view(const zmq::message_t& m) { return {static_cast<const char*>(m.data()), m.size()}; }

// A routing identity for logs (ZeroMQ's own are binary).
std::string peer_name(const zmq::message_t& identity) { return loggable(view(identity)); }

constexpr std::string_view mmi_prefix = "mmi.";

bool is_mmi(std::string_view service) { return service.substr(0, mmi_prefix.size()) == mmi_prefix; }

// What a queued call costs beyond its bytes (the Queued entry, its frame vector, the buffers'
// headers), and what an entry for an id nobody serves yet costs (map node, name, an empty deque's
// first block): charged against max_queued_bytes so a flood of calls to many unknown ids is
// bounded by it as well as a flood to one.
constexpr std::size_t call_overhead = 256;
constexpr std::size_t service_overhead = 1024;
// Expired calls at the front of a queue are dropped the moment a worker would take them; the sweep
// is only there to give the memory back, so it may batch expiries this far apart.
constexpr auto sweep_gap = std::chrono::milliseconds(50);
// A progress event is a line of status for a person, not a data channel: bigger ones are dropped.
constexpr std::size_t max_progress_bytes = 64 * 1024;

constexpr std::string_view presence_topic = "roc.presence.";

}  // namespace

BrokerCore::BrokerCore(zmq::socket_t& router, const BrokerOptions& options, const KeyringHolder* keys,
                       PresencePublisher presence)
    : router_(router),
      keys_(keys),
      presence_(std::move(presence)),
      options_(options),
      expiry_after_(options.heartbeat_interval * std::max(1, options.heartbeat_liveness)),
      next_heartbeat_(Clock::now() + options.heartbeat_interval) {}

void BrokerCore::handle(mdp::Frames& frames, Clock::time_point now) {
  // The connection a message came on; only READY keeps it. (ZMQ_SRCFD is deprecated in favour
  // of metadata, but metadata carries no descriptor and the monitor reports only descriptors.)
  // Read from the last frame: the identity frame ROUTER makes after a poll() carries no descriptor.
  const int fd = frames.empty() ? -1 : zmq_msg_get(frames.back().handle(), ZMQ_SRCFD);
  // On a secured broker every message carries the key its connection authenticated with (the
  // ZAP User-Id). Rights come from the keyring generation current now, so a key taken out of the
  // allow directory loses them on its next message, not only at its next handshake.
  std::shared_ptr<const Keyring> ring;
  std::optional<Caller> caller;
  if (keys_ != nullptr && !frames.empty()) {
    ring = keys_->get();
    const auto key = sender_key(frames.back());
    const KeyRights* rights = ring->find(key);
    if (rights == nullptr) {
      dropped_.add();
      not_allowed_.add();
      log_.warn("broker: dropped a message from key {}: it is no longer admitted", key.empty() ? "(none)" : key);
      return;
    }
    caller = Caller{key, rights};
  }
  const Caller* who = caller ? &*caller : nullptr;
  auto decoded = mdp::decode_at_broker(frames);
  if (!decoded) {
    on_malformed(frames, decoded.error, now);
    return;
  }
  auto& in = *decoded.message;
  if (in.client)
    on_client(in.sender, *in.client, now, fd, who);
  else
    on_worker(in.sender, *in.worker, now, fd, who);
}

void BrokerCore::on_malformed(const mdp::Frames& frames, const std::string& error, Clock::time_point now) {
  dropped_.add();
  if (frames.empty()) return;
  const auto& sender = frames[0];  // decode leaves the frames in place when it fails
  log_.warn("broker: dropped a malformed message from peer {}: {}", peer_name(sender), error);
  // A registered worker that breaks the protocol can no longer be trusted with its calls:
  // answer them and make it register afresh.
  if (frames.size() >= 3 && view(frames[2]) == mdp::worker_protocol) {
    auto it = workers_.find(std::string(view(sender)));
    if (it != workers_.end()) {
      remove_worker(it, /*send_disconnect=*/true, Departure::malformed, now);
    } else if (frames.size() >= 4 && view(frames[3]) == std::string_view("\x01", 1)) {
      // A refused READY: say why, so the worker can log it and back off instead of retrying blindly.
      mdp::send_disconnect(router_, sender, fmt::format("READY refused: {}", error));
    }
  }
}

// ---- clients -------------------------------------------------------------------------------

void BrokerCore::on_client(zmq::message_t& sender, mdp::ClientMessage& message, Clock::time_point now,
                           int fd, const Caller* caller) {
  // A cancel names a call of this very connection, so it needs no right beyond being admitted.
  if (message.header && message.header->cancel != 0) {
    if (!is_mmi(message.service)) on_cancel(sender, message.service, message.header->cancel);
    return;
  }
  requests_.add();
  std::size_t size = 0;
  for (const auto& frame : message.body) size += frame.size();
  if (size > options_.max_request_bytes) {
    dropped_.add();
    log_.warn("broker: refused a {} byte request for '{}' from {} (limit {})", size, message.service,
              peer_name(sender), options_.max_request_bytes);
    auto reply = oversize_reply(view(message.body.front()), size, options_.max_request_bytes);
    if (!reply.empty()) reply_text(sender, message.service, reply);
    return;
  }
  if (is_mmi(message.service)) {  // the broker's own services: open to every admitted key
    on_mmi(sender, message);
    return;
  }
  if (caller != nullptr && !permits_call(*caller, sender, message)) return;

  // The caller's timeout becomes a deadline on this host's clock (PROTOCOL §2.5); a plain 7/MDP
  // client sends none and its calls wait as long as it takes.
  auto deadline = Clock::time_point::max();
  if (message.header && message.header->timeout) {
    if (message.header->timeout->count() == 0) {  // its caller has stopped waiting already
      expired_calls_.add();
      return;
    }
    deadline = now + *message.header->timeout;
  }

  const bool wants_attachments = message.header && message.header->attachments;
  CallTag tag;
  tag.fd = fd;
  if (message.header) {
    tag.call = message.header->call;
    tag.progress = message.header->progress && tag.call != 0;
  }
  auto it = services_.find(message.service);
  if (it != services_.end() && it->second.queue.empty()) {
    if (Worker* worker = pick_worker(it->second)) {
      dispatch(*worker, std::move(sender), message.body, deadline, wants_attachments, tag, now);
      return;
    }
  }

  const std::size_t waiting = it == services_.end() ? 0 : it->second.queue.size();
  const std::size_t new_service_cost =
      it == services_.end() ? service_overhead + message.service.size() : 0;
  const std::size_t cost = call_overhead + size + sender.size() + message.service.size();
  if (waiting >= options_.max_queued_per_object ||
      queued_bytes_.get() + cost + new_service_cost > options_.max_queued_bytes) {
    refuse_busy(sender, message, waiting);
    return;
  }
  if (it == services_.end()) {
    it = services_.try_emplace(message.service).first;
    it->second.name = message.service;
    it->second.no_workers_since = now;
    it->second.cost = new_service_cost;
    queued_bytes_.add(new_service_cost);
  }
  Service& service = it->second;
  enqueue(service, Queued{std::move(sender), std::move(message.body), now, deadline, wants_attachments, tag, cost});
  if (service.workers.empty()) next_grace_check_ = std::min(next_grace_check_, now + options_.unknown_object_grace);
}

void BrokerCore::refuse_busy(const zmq::message_t& client, const mdp::ClientMessage& message,
                             std::size_t waiting) {
  busy_.add();
  const bool object_full = waiting >= options_.max_queued_per_object;
  const auto text =
      object_full
          ? fmt::format("object '{}' is busy: {} calls queued at the broker (limit max_queued_per_object); "
                        "retry later",
                        message.service, waiting)
          : fmt::format("object '{}' is busy: the broker's queues hold {} bytes of calls for all objects "
                        "(limit max_queued_bytes, {}); retry later",
                        message.service, queued_bytes_.get(), options_.max_queued_bytes);
  log_.warn("broker: refused a call for '{}' from {}: {}", message.service, peer_name(client),
            object_full ? "its queue is full" : "the queues hold max_queued_bytes");
  auto reply = jsonrpc::error_reply_for(view(message.body.front()), error_code::object_busy, text);
  if (!reply.empty()) reply_text(client, message.service, reply);
}

bool BrokerCore::permits_call(const Caller& caller, const zmq::message_t& client, const mdp::ClientMessage& message) {
  const KeyRights& rights = *caller.rights;
  if (rights.may_call(message.service)) return true;
  std::string why;
  if (rights.may_read(message.service)) {
    // Parsed only for keys that may read but not call this id: ordinary calls are never parsed here.
    const auto refused = jsonrpc::first_method_refused(view(message.body.front()), &KeyRights::is_read_method);
    if (!refused) return true;
    why = fmt::format("not allowed: key '{}' may only read '{}' (rpc.get, rpc.describe, rpc.ping, rpc.signature), "
                      "not call '{}'",
                      caller.name(), message.service, *refused);
  } else {
    why = fmt::format("not allowed: key '{}' may not call '{}'", caller.name(), message.service);
  }
  not_allowed_.add();
  log_.warn("broker: refused a call from {}: {}", peer_name(client), why);
  auto reply = jsonrpc::error_reply_for(view(message.body.front()), error_code::not_allowed, why);
  if (!reply.empty()) reply_text(client, message.service, reply);
  return false;
}

void BrokerCore::on_mmi(zmq::message_t& sender, mdp::ClientMessage& message) {
  const auto body = view(message.body.front());
  if (message.service == "mmi.workers") {
    reply_text(sender, message.service, workers_listing(body, Clock::now()));
    return;
  }
  // counts_ is written only by this thread, so reading it here needs no lock.
  reply_text(sender, message.service, mmi_reply(message.service, body, counts_));
}

// ---- workers -------------------------------------------------------------------------------

void BrokerCore::on_worker(zmq::message_t& sender, mdp::WorkerMessage& message, Clock::time_point now,
                           int fd, const Caller* caller) {
  if (message.command == mdp::Command::ready) {
    on_ready(sender, message, now, fd, caller);
    return;
  }
  auto it = workers_.find(std::string(view(sender)));
  if (it == workers_.end()) {
    // Typical after a broker restart: the worker must register again (7/MDP: reply DISCONNECT).
    if (message.command != mdp::Command::disconnect)
      refuse_unknown_worker(sender, mdp::command_name(message.command));
    return;
  }
  Worker& worker = it->second;
  worker.expiry = now + expiry_after_;
  switch (message.command) {
    case mdp::Command::reply:
      on_reply(worker, message, now);
      break;
    case mdp::Command::progress:
      on_progress(worker, message);
      break;
    case mdp::Command::disconnect:
      remove_worker(it, /*send_disconnect=*/false, Departure::disconnected, now);
      break;
    default:  // HEARTBEAT: the expiry refresh above is all it asks for
      break;
  }
}

void BrokerCore::on_ready(zmq::message_t& sender, mdp::WorkerMessage& message, Clock::time_point now,
                          int fd, const Caller* caller) {
  auto key = std::string(view(sender));
  if (auto it = workers_.find(key); it != workers_.end()) {
    dropped_.add();
    log_.warn("broker: worker {} for '{}' sent READY again; disconnecting it", peer_name(sender),
              it->second.service->name);
    remove_worker(it, /*send_disconnect=*/true, Departure::registered_twice, now);
    return;
  }
  if (is_mmi(message.service)) {
    dropped_.add();
    log_.warn("broker: worker {} tried to register the reserved id '{}'", peer_name(sender), message.service);
    mdp::send_disconnect(router_, sender,
                         fmt::format("READY refused: the id '{}' is reserved for the broker (mmi.*)", message.service));
    return;
  }

  if (caller != nullptr && !permits_serving(*caller, sender, message.service)) return;

  auto [sit, created] = services_.try_emplace(message.service);
  Service& service = sit->second;
  if (created) service.name = message.service;

  auto [wit, inserted] = workers_.try_emplace(std::move(key));
  Worker& worker = wit->second;
  worker.identity = std::move(sender);
  worker.service = &service;
  worker.credit = std::min(message.credit, options_.max_worker_credit);
  worker.takes_header = message.credit_frame;
  worker.takes_attachments = message.attachments;
  worker.takes_cancel = message.cancel;
  worker.takes_progress = message.progress;
  worker.fd = fd;
  worker.info = std::move(message.info);
  worker.since = now;
  if (!message.info_error.empty())
    log_.warn("broker: worker {} of '{}' sent {}; listing it without", peer_name(worker.identity), service.name,
              message.info_error);
  if (caller != nullptr) {
    worker.key = std::string(caller->key);
    worker.key_name = caller->name();
  }
  worker.expiry = now + expiry_after_;
  service.workers.push_back(&worker);
  workers_count_.set(workers_.size());
  publish_counts(service);
  spdlog::info("broker: worker {} serves '{}' (credit {}, {} worker(s) now)", peer_name(worker.identity),
               service.name, worker.credit, service.workers.size());
  announce(worker, service.workers.size() == 1 ? "registered" : "worker-joined", {}, now);
  drain(service, now);
}

bool BrokerCore::permits_serving(const Caller& caller, const zmq::message_t& worker, const std::string& id) {
  std::string why;
  if (auto listed = caller.rights->may_serve(id)) {
    if (*listed) return true;
    why = fmt::format("key '{}' may not serve '{}': its roc-serve does not name it", caller.name(), id);
  } else {
    // No roc-serve: first come, first served by key. Workers of the same key share the load;
    // another key can never join in and take calls meant for the object being served.
    auto it = services_.find(id);
    const Worker* other = nullptr;
    if (it != services_.end())
      for (const Worker* w : it->second.workers)
        if (w->key != caller.key) other = w;
    if (other == nullptr) return true;
    why = fmt::format("key '{}' may not serve '{}': key '{}' serves it, and only a key whose roc-serve names the "
                      "id may serve it alongside",
                      caller.name(), id, other->key_name);
  }
  not_allowed_.add();
  log_.warn("broker: refused READY from worker {}: {}", peer_name(worker), why);
  mdp::send_disconnect(router_, worker, "READY refused: " + why);
  return false;
}

void BrokerCore::on_reply(Worker& worker, mdp::WorkerMessage& message, Clock::time_point now) {
  auto client = view(message.client);
  // The worker runs its calls in the order it got them, so the oldest call of this client is the
  // one answered; searching from the front almost always stops at the first entry.
  auto held = std::find_if(worker.in_flight.begin(), worker.in_flight.end(),
                           [&](const InFlight& f) { return view(f.client) == client; });
  if (held == worker.in_flight.end()) {
    dropped_.add();
    log_.warn("broker: worker {} for '{}' replied to client {} that it holds no call for; dropped",
              peer_name(worker.identity), worker.service->name, peer_name(message.client));
    return;
  }
  const bool cancelled = held->cancelled;
  worker.in_flight.erase(held);  // the credit comes back whether or not the reply goes on
  ++worker.calls;
  if (!cancelled) {
    replies_.add();  // counted before the send, so a caller that has the reply sees the count
    mdp::send_to_client(router_, message.client, worker.service->name, message.body);
  }
  drain(*worker.service, now);
}

// ---- long calls (PROTOCOL §2.6) ------------------------------------------------------------

void BrokerCore::on_progress(Worker& worker, mdp::WorkerMessage& message) {
  auto client = view(message.client);
  auto held = std::find_if(worker.in_flight.begin(), worker.in_flight.end(), [&](const InFlight& f) {
    return f.tag.call == message.call && view(f.client) == client;
  });
  // Late (the call was answered or cancelled) or unasked: the caller would only drop it.
  if (held == worker.in_flight.end() || held->cancelled || !held->tag.progress ||
      message.body.front().size() > max_progress_bytes) {
    progress_dropped_.add();
    return;
  }
  progress_.add();
  mdp::send_progress_to_client(router_, held->client, worker.service->name, message.call, message.body.front());
}

void BrokerCore::on_cancel(const zmq::message_t& client, const std::string& service_id, std::uint64_t call) {
  auto sit = services_.find(service_id);
  if (sit == services_.end()) return;  // nothing of it here: answered already, or never sent
  Service& service = sit->second;
  const auto sender = view(client);
  const auto same_call = [&](const zmq::message_t& c, const CallTag& tag) {
    return tag.call == call && view(c) == sender;
  };
  std::string text;
  zmq::message_t body;
  auto queued = std::find_if(service.queue.begin(), service.queue.end(),
                             [&](const Queued& q) { return same_call(q.client, q.tag); });
  if (queued != service.queue.end()) {
    body = std::move(queued->body.front());
    unqueued(*queued);
    service.queue.erase(queued);
    text = fmt::format("cancelled: the call to '{}' was cancelled before it ran", service_id);
  } else {
    for (Worker* worker : service.workers) {
      auto held = std::find_if(worker->in_flight.begin(), worker->in_flight.end(),
                               [&](const InFlight& f) { return !f.cancelled && same_call(f.client, f.tag); });
      if (held == worker->in_flight.end()) continue;
      body.copy(held->body);
      cancel_held(*worker, *held);
      text = fmt::format("cancelled: the call to '{}' was cancelled while it ran; its worker {}", service_id,
                         worker->takes_cancel ? "was told to stop" : "cannot be told to stop and runs it to its end");
      break;
    }
  }
  if (text.empty()) return;  // answered already: the caller has its one outcome
  cancelled_.add();
  auto reply = jsonrpc::error_reply_for(view(body), error_code::cancelled, text);
  if (!reply.empty()) reply_text(client, service_id, reply);
  if (service.workers.empty() && service.queue.empty()) erase_service(sit);
}

void BrokerCore::cancel_held(Worker& worker, InFlight& held) {
  held.cancelled = true;
  if (worker.takes_cancel) mdp::send_cancel(router_, worker.identity, held.client, held.tag.call);
}

void BrokerCore::refuse_unknown_worker(const zmq::message_t& sender, std::string_view what) {
  dropped_.add();
  log_.warn("broker: {} from unregistered worker {}; sent DISCONNECT so it registers again", what,
            peer_name(sender));
  mdp::send_command(router_, mdp::Command::disconnect, &sender);
}

// ---- dispatch ------------------------------------------------------------------------------

BrokerCore::Worker* BrokerCore::pick_worker(Service& service) {
  Worker* best = nullptr;
  std::size_t best_free = 0;
  for (Worker* w : service.workers) {
    const auto free = w->free_credit();
    if (free == 0) continue;
    if (best == nullptr || free > best_free || (free == best_free && w->last_dispatch < best->last_dispatch)) {
      best = w;
      best_free = free;
    }
  }
  return best;
}

void BrokerCore::dispatch(Worker& worker, zmq::message_t client, mdp::Frames& body, Clock::time_point deadline,
                          bool attachments, const CallTag& tag, Clock::time_point now) {
  // A worker that reads no attachments gets their values as plain JSON: slower, but it works
  // unchanged. Only such requests are parsed here, never the ordinary ones.
  if (body.size() > 1 && !worker.takes_attachments) {
    const auto request = std::string(view(body.front()));
    if (auto why = inline_attachments(body, options_.max_request_bytes); !why.empty()) {
      dropped_.add();
      log_.warn("broker: cannot pass a request with attachments to '{}' as JSON: {}", worker.service->name, why);
      auto reply = jsonrpc::error_reply_for(request, error_code::invalid_params,
                                            fmt::format("object '{}' is served by a worker that reads no "
                                                        "attachments, and the request cannot be passed on as "
                                                        "JSON: {}",
                                                        worker.service->name, why));
      if (!reply.empty()) reply_text(client, worker.service->name, reply);
      return;
    }
  }
  InFlight held{std::move(client), zmq::message_t{}, tag};
  held.body.copy(body.front());  // shares the buffer (refcount) for all but tiny bodies
  // A fresh header with the time left, so the worker can skip the call if it waits there too.
  // Third-party workers never asked for one: they would take it for the body. The call's name
  // and the wish for progress go only to workers that say they use them.
  mdp::CallHeader header;
  header.attachments = attachments;
  if (deadline != Clock::time_point::max())
    header.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
  if (worker.takes_cancel || worker.takes_progress) header.call = tag.call;
  header.progress = tag.progress && worker.takes_progress;
  const bool with_header = worker.takes_header && (header.timeout || header.attachments || header.call != 0);
  mdp::send_to_worker(router_, worker.identity, held.client, body, with_header ? &header : nullptr);
  worker.in_flight.push_back(std::move(held));
  worker.last_dispatch = ++dispatch_count_;
}

void BrokerCore::drain(Service& service, Clock::time_point now) {
  while (!service.queue.empty()) {
    Queued& next = service.queue.front();
    if (next.deadline <= now) {  // its caller has given up: running it would only delay the others
      expired_calls_.add();
    } else {
      Worker* worker = pick_worker(service);
      if (worker == nullptr) return;
      dispatch(*worker, std::move(next.client), next.body, next.deadline, next.attachments, next.tag, now);
    }
    unqueued(next);
    service.queue.pop_front();
  }
}

// ---- queues --------------------------------------------------------------------------------

void BrokerCore::enqueue(Service& service, Queued&& call) {
  queued_.add();
  queued_bytes_.add(call.cost);
  if (call.tag.fd >= 0) ++queued_by_fd_[call.tag.fd];
  if (call.deadline != Clock::time_point::max()) {
    service.earliest_deadline = std::min(service.earliest_deadline, call.deadline);
    next_sweep_ = std::min(next_sweep_, std::max(call.deadline, last_sweep_ + sweep_gap));
  }
  service.queue.push_back(std::move(call));
}

void BrokerCore::unqueued(const Queued& call) {
  queued_.set(queued_.get() - 1);
  queued_bytes_.set(queued_bytes_.get() - call.cost);
  if (call.tag.fd < 0) return;
  auto it = queued_by_fd_.find(call.tag.fd);
  if (it != queued_by_fd_.end() && --it->second == 0) queued_by_fd_.erase(it);
}

// Removes the calls for which `drop(call)` holds, keeping the others in order; returns how many
// went. Also recomputes the service's earliest deadline, which only this full pass can raise.
template <class Drop>
std::size_t BrokerCore::drop_queued(Service& service, Drop drop) {
  auto& queue = service.queue;
  std::size_t kept = 0;
  service.earliest_deadline = Clock::time_point::max();
  for (std::size_t i = 0; i < queue.size(); ++i) {
    if (drop(queue[i])) {
      unqueued(queue[i]);
      continue;
    }
    service.earliest_deadline = std::min(service.earliest_deadline, queue[i].deadline);
    if (kept != i) queue[kept] = std::move(queue[i]);
    ++kept;
  }
  const std::size_t dropped = queue.size() - kept;
  queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(kept), queue.end());
  return dropped;
}

// Gives back the memory of calls nobody waits for, even when no worker frees up to reach them.
void BrokerCore::sweep_expired(Clock::time_point now) {
  last_sweep_ = now;
  auto earliest = Clock::time_point::max();
  for (auto it = services_.begin(); it != services_.end();) {
    Service& service = it->second;
    if (service.earliest_deadline <= now)
      expired_calls_.add(drop_queued(service, [now](const Queued& call) { return call.deadline <= now; }));
    earliest = std::min(earliest, service.earliest_deadline);
    if (service.workers.empty() && service.queue.empty())
      it = erase_service(it);
    else
      ++it;
  }
  next_sweep_ = earliest == Clock::time_point::max() ? earliest : std::max(earliest, now + sweep_gap);
}

BrokerCore::ServiceMap::iterator BrokerCore::erase_service(ServiceMap::iterator it) {
  queued_bytes_.set(queued_bytes_.get() - it->second.cost);
  return services_.erase(it);
}

// ---- losing workers --------------------------------------------------------------------------

namespace {
std::string_view departure_text(Departure why) {
  switch (why) {
    case Departure::disconnected: return "disconnected";
    case Departure::connection_lost: return "lost its connection";
    case Departure::expired: return "stopped sending heartbeats";
    case Departure::malformed: return "sent a malformed message";
    case Departure::registered_twice: return "registered twice";
    case Departure::broker_stopped: return "was stopped with the broker";
  }
  return "left";
}
// PROTOCOL §5.6's `reason`; none when the broker stops (it sends no events then).
std::string_view departure_reason(Departure why) {
  switch (why) {
    case Departure::disconnected: return "disconnect";
    case Departure::connection_lost: return "connection-lost";
    case Departure::expired: return "expired";
    case Departure::malformed:
    case Departure::registered_twice: return "protocol-error";
    case Departure::broker_stopped: return "";
  }
  return "";
}
}  // namespace

void BrokerCore::remove_worker(WorkerMap::iterator it, bool send_disconnect, Departure departure,
                               Clock::time_point now) {
  const auto why = departure_text(departure);
  // Unregister first, so that anyone who sees an error reply below also sees the worker gone.
  Service& service = *it->second.service;
  const std::string name = service.name;  // the service may be erased below
  service.workers.erase(std::find(service.workers.begin(), service.workers.end(), &it->second));
  if (departure != Departure::broker_stopped)
    announce(it->second, service.workers.empty() ? "gone" : "worker-left",
             departure_reason(departure), now);
  auto held = std::move(it->second.in_flight);
  auto identity = std::move(it->second.identity);
  workers_.erase(it);
  workers_count_.set(workers_.size());
  publish_counts(service);
  spdlog::info("broker: worker {} of '{}' removed (it {}; {} worker(s) left)", peer_name(identity), name, why,
               service.workers.size());

  // Cancelled calls have their answer (-32008) already.
  held.erase(std::remove_if(held.begin(), held.end(), [](const InFlight& f) { return f.cancelled; }), held.end());
  if (!held.empty()) {
    const auto message = fmt::format(
        "object '{}' went away while holding this call (its worker {}); the call may or may not have run",
        name, why);
    gone_.add(held.size());
    for (auto& call : held) {
      auto reply = jsonrpc::error_reply_for(view(call.body), error_code::object_gone, message);
      if (!reply.empty()) reply_text(call.client, name, reply);
    }
    spdlog::warn("broker: answered {} call(s) held by worker {} of '{}' with -32002 (it {})", held.size(),
                 peer_name(identity), name, why);
  }
  if (send_disconnect) mdp::send_command(router_, mdp::Command::disconnect, &identity);

  if (service.workers.empty()) {
    if (service.queue.empty()) {
      erase_service(services_.find(name));
    } else {
      service.no_workers_since = now;
      next_grace_check_ = std::min(next_grace_check_, now + options_.unknown_object_grace);
    }
  } else {
    drain(service, now);  // the survivors may have credit for what waits
  }
}

void BrokerCore::on_peer_disconnected(int fd) {
  if (fd < 0) return;
  // First the calls its client queued, so that a worker leaving below cannot hand them on.
  if (queued_by_fd_.count(fd) != 0) {
    std::size_t dropped = 0;
    for (auto it = services_.begin(); it != services_.end();) {
      dropped += drop_queued(it->second, [fd](const Queued& call) { return call.tag.fd == fd; });
      if (it->second.workers.empty() && it->second.queue.empty())
        it = erase_service(it);
      else
        ++it;
    }
    abandoned_calls_.add(dropped);
    spdlog::info("broker: dropped {} queued call(s) of a client that disconnected", dropped);
  }
  // Rare, so a scan. A descriptor is closed only after its event is queued, so a later
  // connection reusing the number registers after this event is read — except when both land
  // within one loop iteration; that worker is then dropped, and its next heartbeat gets DISCONNECT
  // so it registers again.
  for (auto& [identity, worker] : workers_) {
    if (worker.fd == fd && !worker.connection_lost) {
      worker.connection_lost = true;
      lost_workers_.push_back(identity);
      return;
    }
  }
  // A client gone: nobody waits for the calls its workers hold (PROTOCOL §2.6).
  std::size_t cancelled = 0;
  for (auto& [identity, worker] : workers_) {
    for (auto& held : worker.in_flight) {
      if (held.tag.fd != fd || held.cancelled || held.tag.call == 0) continue;
      cancel_held(worker, held);
      ++cancelled;
    }
  }
  if (cancelled != 0) spdlog::info("broker: cancelled {} running call(s) of a client that disconnected", cancelled);
}

void BrokerCore::settle_lost_workers(Clock::time_point now) {
  for (const auto& identity : lost_workers_) {
    auto it = workers_.find(identity);
    // Gone already when its DISCONNECT came in the meantime.
    if (it != workers_.end() && it->second.connection_lost)
      remove_worker(it, /*send_disconnect=*/false, Departure::connection_lost, now);
  }
  lost_workers_.clear();
}

// ---- time ----------------------------------------------------------------------------------

void BrokerCore::on_timer(Clock::time_point now) {
  settle_lost_workers(now);
  if (now >= next_sweep_) sweep_expired(now);
  if (now >= next_heartbeat_) {
    std::vector<std::string> silent;
    for (auto& [key, worker] : workers_) {
      if (worker.expiry <= now)
        silent.push_back(key);
      else
        mdp::send_command(router_, mdp::Command::heartbeat, &worker.identity);
    }
    for (const auto& key : silent) {
      auto it = workers_.find(key);
      log_.warn("broker: worker {} of '{}' fell silent for {} ms; dropping it", peer_name(it->second.identity),
                it->second.service->name,
                std::chrono::duration_cast<std::chrono::milliseconds>(expiry_after_).count());
      expired_.add();
      remove_worker(it, /*send_disconnect=*/true, Departure::expired, now);
    }
    next_heartbeat_ = now + options_.heartbeat_interval;
  }
  if (now >= next_grace_check_) expire_unserved(now);
}

void BrokerCore::expire_unserved(Clock::time_point now) {
  next_grace_check_ = Clock::time_point::max();
  for (auto it = services_.begin(); it != services_.end();) {
    Service& service = it->second;
    if (!service.workers.empty()) {
      ++it;
      continue;
    }
    const auto message = fmt::format("no object '{}' is registered with the broker", service.name);
    while (!service.queue.empty()) {
      auto& next = service.queue.front();
      const auto deadline = std::max(next.enqueued, service.no_workers_since) + options_.unknown_object_grace;
      if (deadline > now) {
        next_grace_check_ = std::min(next_grace_check_, deadline);
        break;
      }
      not_found_.add();
      unqueued(next);  // before the reply, so a caller that has it sees the queue shrink
      auto reply = jsonrpc::error_reply_for(view(next.body.front()), error_code::object_not_found, message);
      if (!reply.empty()) reply_text(next.client, service.name, reply);
      service.queue.pop_front();
    }
    if (service.queue.empty())
      it = erase_service(it);
    else
      ++it;
  }
}

void BrokerCore::shutdown() {
  for (auto& [name, service] : services_) {
    const int code = service.workers.empty() ? error_code::object_not_found : error_code::object_gone;
    const auto message = fmt::format("the broker stopped before object '{}' could run this call", name);
    for (auto& queued : service.queue) {
      auto reply = jsonrpc::error_reply_for(view(queued.body.front()), code, message);
      if (!reply.empty()) reply_text(queued.client, name, reply);
    }
    service.queue.clear();
    service.cost = 0;
  }
  queued_.set(0);
  queued_bytes_.set(0);
  queued_by_fd_.clear();
  const auto now = Clock::now();
  while (!workers_.empty()) remove_worker(workers_.begin(), /*send_disconnect=*/true, Departure::broker_stopped, now);
  services_.clear();
}

// ---- helpers -------------------------------------------------------------------------------

void BrokerCore::reply_text(const zmq::message_t& client, std::string_view service, std::string_view text) {
  mdp::Frames body;
  body.emplace_back(text.data(), text.size());
  mdp::send_to_client(router_, client, service, body);
}

void BrokerCore::publish_counts(const Service& service) {
  std::lock_guard lock(counts_mutex_);
  if (service.workers.empty())
    counts_.erase(service.name);
  else
    counts_[service.name] = service.workers.size();
}

// ---- presence ------------------------------------------------------------------------------

namespace {
WorkerReport report_of(const mdp::WorkerInfo* info, BrokerCore::Clock::duration uptime, std::uint64_t calls,
                       std::size_t in_flight) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(uptime).count();
  return WorkerReport{info, static_cast<double>(ms) / 1000.0, calls, in_flight};
}
}  // namespace

std::string BrokerCore::workers_listing(std::string_view id, Clock::time_point now) const {
  std::vector<std::pair<std::string, std::vector<WorkerReport>>> objects;
  for (const auto& [name, service] : services_) {
    if (service.workers.empty() || (!id.empty() && name != id)) continue;
    auto& reports = objects.emplace_back(name, std::vector<WorkerReport>{}).second;
    // In registration order: oldest first.
    for (const Worker* w : service.workers)
      reports.push_back(report_of(w->info ? &*w->info : nullptr, now - w->since, w->calls, w->in_flight.size()));
  }
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return mmi_workers_reply(objects);
}

// `worker` has joined service.workers already (arrivals) or left it (departures), so the count
// is the one after the event.
void BrokerCore::announce(const Worker& worker, std::string_view event, std::string_view reason,
                          Clock::time_point now) {
  if (!presence_) return;
  const auto& service = *worker.service;
  const auto report = report_of(worker.info ? &*worker.info : nullptr, now - worker.since, worker.calls,
                                worker.in_flight.size());
  try {
    presence_(std::string(presence_topic) + service.name,
              presence_event(event, service.name, report, service.workers.size(), reason));
  } catch (const std::exception& e) {
    // An event lost is a line missing on an operator's screen, never a reason to stop routing.
    log_.warn("broker: could not publish a presence event for '{}': {}", service.name, e.what());
  }
}

BrokerStats BrokerCore::stats() const {
  BrokerStats s;
  s.requests = requests_.get();
  s.replies = replies_.get();
  s.dropped = dropped_.get();
  s.not_found = not_found_.get();
  s.gone = gone_.get();
  s.expired_workers = expired_.get();
  s.workers = workers_count_.get();
  s.queued = queued_.get();
  s.queued_bytes = queued_bytes_.get();
  s.busy = busy_.get();
  s.expired_calls = expired_calls_.get();
  s.abandoned_calls = abandoned_calls_.get();
  s.not_allowed = not_allowed_.get();
  s.cancelled = cancelled_.get();
  s.progress = progress_.get();
  s.progress_dropped = progress_dropped_.get();
  return s;
}

std::map<std::string, std::size_t> BrokerCore::worker_counts() const {
  std::lock_guard lock(counts_mutex_);
  return counts_;
}

}  // namespace roc::detail
