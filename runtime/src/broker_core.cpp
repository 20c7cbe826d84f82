// Routing of 7/MDP calls with roc's credit extension: registration, dispatch by free credit,
// per-object queues, heartbeats and expiry, and the error replies for calls nobody can serve.
#include "broker_core.hpp"

#include "broker_mmi.hpp"
#include "broker_oversize.hpp"
#include "jsonrpc.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace roc::detail {
namespace {

std::string_view view(const zmq::message_t& m) { return {static_cast<const char*>(m.data()), m.size()}; }

// A routing identity for logs: printable ids as they are, others in hex (ZeroMQ's are binary).
std::string peer_name(const zmq::message_t& identity) {
  auto bytes = view(identity);
  const bool printable = !bytes.empty() && std::all_of(bytes.begin(), bytes.end(), [](char c) {
    return c >= 0x20 && c < 0x7f;
  });
  if (printable) return std::string(bytes.substr(0, 64));
  std::string hex;
  for (unsigned char c : bytes.substr(0, 32)) hex += fmt::format("{:02x}", c);
  return hex;
}

constexpr std::string_view mmi_prefix = "mmi.";

bool is_mmi(std::string_view service) { return service.substr(0, mmi_prefix.size()) == mmi_prefix; }

}  // namespace

BrokerCore::BrokerCore(zmq::socket_t& router, const BrokerOptions& options)
    : router_(router),
      options_(options),
      expiry_after_(options.heartbeat_interval * std::max(1, options.heartbeat_liveness)),
      next_heartbeat_(Clock::now() + options.heartbeat_interval) {}

void BrokerCore::handle(mdp::Frames& frames, Clock::time_point now) {
  // The connection a message came on; only READY keeps it. (ZMQ_SRCFD is deprecated in favour
  // of metadata, but metadata carries no descriptor and the monitor reports only descriptors.)
  // Read from the last frame: the identity frame ROUTER makes after a poll() carries no descriptor.
  const int fd = frames.empty() ? -1 : zmq_msg_get(frames.back().handle(), ZMQ_SRCFD);
  auto decoded = mdp::decode_at_broker(frames);
  if (!decoded) {
    on_malformed(frames, decoded.error, now);
    return;
  }
  auto& in = *decoded.message;
  if (in.client)
    on_client(in.sender, *in.client, now);
  else
    on_worker(in.sender, *in.worker, now, fd);
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
      remove_worker(it, /*send_disconnect=*/true, "sent a malformed message", now);
    } else if (frames.size() >= 4 && view(frames[3]) == std::string_view("\x01", 1)) {
      // A refused READY: say why, so the worker can log it and back off instead of retrying blindly.
      mdp::send_disconnect(router_, sender, fmt::format("READY refused: {}", error));
    }
  }
}

// ---- clients -------------------------------------------------------------------------------

void BrokerCore::on_client(zmq::message_t& sender, mdp::ClientMessage& message, Clock::time_point now) {
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
  if (is_mmi(message.service)) {
    on_mmi(sender, message);
    return;
  }

  auto [it, created] = services_.try_emplace(message.service);
  Service& service = it->second;
  if (created) {
    service.name = message.service;
    service.no_workers_since = now;
  }
  if (service.queue.empty()) {
    if (Worker* worker = pick_worker(service)) {
      dispatch(*worker, std::move(sender), message.body);
      return;
    }
  }
  service.queue.push_back(Queued{std::move(sender), std::move(message.body), now});
  queued_.add();
  if (service.workers.empty()) next_grace_check_ = std::min(next_grace_check_, now + options_.unknown_object_grace);
}

void BrokerCore::on_mmi(zmq::message_t& sender, mdp::ClientMessage& message) {
  // counts_ is written only by this thread, so reading it here needs no lock.
  reply_text(sender, message.service, mmi_reply(message.service, view(message.body.front()), counts_));
}

// ---- workers -------------------------------------------------------------------------------

void BrokerCore::on_worker(zmq::message_t& sender, mdp::WorkerMessage& message, Clock::time_point now,
                           int fd) {
  if (message.command == mdp::Command::ready) {
    on_ready(sender, message, now, fd);
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
      on_reply(worker, message);
      break;
    case mdp::Command::disconnect:
      remove_worker(it, /*send_disconnect=*/false, "disconnected", now);
      break;
    default:  // HEARTBEAT: the expiry refresh above is all it asks for
      break;
  }
}

void BrokerCore::on_ready(zmq::message_t& sender, mdp::WorkerMessage& message, Clock::time_point now,
                          int fd) {
  auto key = std::string(view(sender));
  if (auto it = workers_.find(key); it != workers_.end()) {
    dropped_.add();
    log_.warn("broker: worker {} for '{}' sent READY again; disconnecting it", peer_name(sender),
              it->second.service->name);
    remove_worker(it, /*send_disconnect=*/true, "registered twice", now);
    return;
  }
  if (is_mmi(message.service)) {
    dropped_.add();
    log_.warn("broker: worker {} tried to register the reserved id '{}'", peer_name(sender), message.service);
    mdp::send_disconnect(router_, sender,
                         fmt::format("READY refused: the id '{}' is reserved for the broker (mmi.*)", message.service));
    return;
  }

  auto [sit, created] = services_.try_emplace(message.service);
  Service& service = sit->second;
  if (created) service.name = message.service;

  auto [wit, inserted] = workers_.try_emplace(std::move(key));
  Worker& worker = wit->second;
  worker.identity = std::move(sender);
  worker.service = &service;
  worker.credit = message.credit;
  worker.fd = fd;
  worker.expiry = now + expiry_after_;
  service.workers.push_back(&worker);
  workers_count_.set(workers_.size());
  publish_counts(service);
  spdlog::info("broker: worker {} serves '{}' (credit {}, {} worker(s) now)", peer_name(worker.identity),
               service.name, worker.credit, service.workers.size());
  drain(service);
}

void BrokerCore::on_reply(Worker& worker, mdp::WorkerMessage& message) {
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
  worker.in_flight.erase(held);
  replies_.add();  // counted before the send, so a caller that has the reply sees the count
  mdp::send_to_client(router_, message.client, worker.service->name, message.body);
  drain(*worker.service);
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

void BrokerCore::dispatch(Worker& worker, zmq::message_t client, mdp::Frames& body) {
  InFlight held{std::move(client), zmq::message_t{}};
  held.body.copy(body.front());  // shares the buffer (refcount) for all but tiny bodies
  mdp::send_to_worker(router_, worker.identity, held.client, body);
  worker.in_flight.push_back(std::move(held));
  worker.last_dispatch = ++dispatch_count_;
}

void BrokerCore::drain(Service& service) {
  while (!service.queue.empty()) {
    Worker* worker = pick_worker(service);
    if (worker == nullptr) return;
    Queued& next = service.queue.front();
    dispatch(*worker, std::move(next.client), next.body);
    service.queue.pop_front();
    queued_.set(queued_.get() - 1);
  }
}

// ---- losing workers --------------------------------------------------------------------------

void BrokerCore::remove_worker(WorkerMap::iterator it, bool send_disconnect, std::string_view why,
                               Clock::time_point now) {
  // Unregister first, so that anyone who sees an error reply below also sees the worker gone.
  Service& service = *it->second.service;
  const std::string name = service.name;  // the service may be erased below
  auto held = std::move(it->second.in_flight);
  auto identity = std::move(it->second.identity);
  service.workers.erase(std::find(service.workers.begin(), service.workers.end(), &it->second));
  workers_.erase(it);
  workers_count_.set(workers_.size());
  publish_counts(service);
  spdlog::info("broker: worker {} of '{}' removed (it {}; {} worker(s) left)", peer_name(identity), name, why,
               service.workers.size());

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
      services_.erase(name);
    } else {
      service.no_workers_since = now;
      next_grace_check_ = std::min(next_grace_check_, now + options_.unknown_object_grace);
    }
  } else {
    drain(service);  // the survivors may have credit for what waits
  }
}

void BrokerCore::on_peer_disconnected(int fd, Clock::time_point now) {
  if (fd < 0) return;
  // Rare, so a scan. A descriptor is closed only after its event is queued, so a later
  // connection reusing the number registers after this event is read — except when both land
  // within one loop iteration; that worker is then dropped, and its next heartbeat gets DISCONNECT
  // so it registers again.
  for (auto it = workers_.begin(); it != workers_.end(); ++it) {
    if (it->second.fd == fd) {
      remove_worker(it, /*send_disconnect=*/false, "lost its connection", now);
      return;
    }
  }
}

// ---- time ----------------------------------------------------------------------------------

void BrokerCore::on_timer(Clock::time_point now) {
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
      remove_worker(it, /*send_disconnect=*/true, "stopped sending heartbeats", now);
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
      auto reply = jsonrpc::error_reply_for(view(next.body.front()), error_code::object_not_found, message);
      if (!reply.empty()) reply_text(next.client, service.name, reply);
      service.queue.pop_front();
      queued_.set(queued_.get() - 1);
    }
    if (service.queue.empty())
      it = services_.erase(it);
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
  }
  queued_.set(0);
  const auto now = Clock::now();
  while (!workers_.empty()) remove_worker(workers_.begin(), /*send_disconnect=*/true, "was stopped with the broker", now);
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
  return s;
}

std::map<std::string, std::size_t> BrokerCore::worker_counts() const {
  std::lock_guard lock(counts_mutex_);
  return counts_;
}

}  // namespace roc::detail
