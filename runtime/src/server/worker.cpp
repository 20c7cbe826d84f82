// The worker loop of 7/MDP (rfc 7) with roc's credit on READY (PROTOCOL §2.3), deadlines from the
// call header (PROTOCOL §2.5), and the keeper that looks after workers during their calls.
#include "server/worker.hpp"

#include "server/call_scope.hpp"
#include "transport/sockets.hpp"
#include "wire/attachment_frames.hpp"
#include "wire/jsonrpc.hpp"
#include "wire/mdp.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include <unistd.h>

namespace roc::detail {
namespace {
// Upper bound on one poll, so stop() is noticed promptly.
constexpr auto max_poll = std::chrono::milliseconds(100);
// A send refused this long (broker unreachable and queue full) fails instead of blocking.
constexpr int send_timeout_ms = 1000;
// How long a closed socket may still try to deliver its last DISCONNECT.
constexpr int linger_ms = 100;
// The keeper's period during a long call: how late a request arriving meanwhile is stamped.
constexpr auto long_call_tick = std::chrono::milliseconds(1);
// Its period while calls are all short: how long a call may run before the keeper takes over.
// Doubling up to this keeps the keeper's wake-ups off a busy server's CPU.
constexpr auto short_calls_tick = std::chrono::milliseconds(8);
// Ticks without any call before the keeper sleeps (and workers have to wake it).
constexpr int idle_ticks_before_sleep = 50;
// Messages the keeper keeps for a busy worker beyond its credit: the broker's own commands.
constexpr std::size_t pending_slack = 16;
// Pauses after the broker refused our READY: doubling from the first to the last.
constexpr auto first_refusal_pause = std::chrono::milliseconds(1000);
constexpr auto last_refusal_pause = std::chrono::milliseconds(30000);

// Who this process is, for the broker's listings (PROTOCOL §2.3, worker info): display only.
mdp::WorkerInfo this_process() {
  mdp::WorkerInfo info;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) info.host = host;
  info.pid = static_cast<std::uint32_t>(::getpid());
#ifdef __GLIBC__
  info.program = program_invocation_short_name;
#endif
  if (info.program.empty()) info.program = "unknown";
  return info;
}
}  // namespace

// ---- keeper -----------------------------------------------------------------------------------

WorkerKeeper::WorkerKeeper(std::chrono::milliseconds heartbeat_interval) : heartbeat_interval_(heartbeat_interval) {}

WorkerKeeper::~WorkerKeeper() { stop(); }

void WorkerKeeper::add(Worker& worker) {
  std::lock_guard<std::mutex> lock(mutex_);
  workers_.push_back(&worker);
}

void WorkerKeeper::start() { thread_ = std::thread([this] { run(); }); }

void WorkerKeeper::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WorkerKeeper::wake() {
  // Taking the mutex orders this after the keeper's check of busy workers: either it saw ours
  // busy and did not sleep, or it is waiting already and gets the notification.
  { std::lock_guard<std::mutex> lock(mutex_); }
  wakeup_.notify_one();
}

void WorkerKeeper::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  int idle_ticks = 0;
  auto tick = long_call_tick;
  while (!stopping_) {
    if (idle_ticks >= idle_ticks_before_sleep) {
      // Sequentially consistent with the workers' busy_ store and sleeping_ load: a call that
      // starts now is either seen here or sees sleeping_ and wakes us.
      sleeping_.store(true);
      const bool any_busy =
          std::any_of(workers_.begin(), workers_.end(), [](Worker* w) { return w->busy(); });
      // Half the heartbeat interval: a worker that was idle a moment ago may be busy by then.
      if (!any_busy) wakeup_.wait_for(lock, heartbeat_interval_ / 2);
      sleeping_.store(false);
      tick = long_call_tick;  // woken by a call that may be long
    } else {
      wakeup_.wait_for(lock, tick);
    }
    if (stopping_) break;
    const auto now = Worker::Clock::now();
    auto activity = Worker::Activity::idle;
    for (Worker* worker : workers_) {
      try {
        activity = std::max(activity, worker->look_after(now));
      } catch (const std::exception& e) {
        spdlog::warn("roc server: while looking after a busy worker: {}", e.what());
      }
    }
    idle_ticks = activity == Worker::Activity::idle ? idle_ticks + 1 : 0;
    tick = activity == Worker::Activity::long_call ? long_call_tick : std::min(tick * 2, short_calls_tick);
  }
}

// ---- worker -----------------------------------------------------------------------------------

Worker::Worker(zmq::context_t& context, Endpoints broker, Credentials credentials, std::string object_id,
               std::shared_ptr<Dispatcher> dispatcher, const ServerOptions& options, WorkerKeeper& keeper)
    : context_(context),
      broker_(std::move(broker)),
      credentials_(std::move(credentials)),
      endpoint_(broker_.calls()),
      object_id_(std::move(object_id)),
      dispatcher_(std::move(dispatcher)),
      options_(options),
      keeper_(keeper),
      heartbeat_interval_(options.heartbeat_interval) {}

Worker::~Worker() { stop(); }

void Worker::start() { thread_ = std::thread([this] { run(); }); }

void Worker::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

Worker::Activity Worker::look_after(Clock::time_point now) {
  const auto calls = calls_.load(std::memory_order_relaxed);
  const bool same_call = calls == calls_seen_;
  calls_seen_ = calls;
  const auto activity = !busy_ ? (same_call ? Activity::idle : Activity::short_calls)
                               : (same_call ? Activity::long_call : Activity::short_calls);
  if (!busy_) return activity;
  std::unique_lock<std::mutex> lock(socket_mutex_, std::try_to_lock);
  // busy_ again under the lock: the worker clears it only while holding the lock.
  if (!lock || !busy_ || !socket_) return activity;
  std::shared_ptr<ServerCallState> cancelled;
  if (same_call) {
    // The call has run for a tick at least: what arrives now would wait unstamped behind it.
    mdp::Frames frames;
    while (pending_.size() < options_.credit + pending_slack) {
      frames.clear();
      if (!zmq::recv_multipart(*socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
      last_heard_ = now;
      std::optional<Received> received;
      if (!decode(frames, now, received)) continue;
      if (received->message.command == mdp::Command::heartbeat) {
        on_broker_heartbeat(now);
        continue;
      }
      if (received->message.command == mdp::Command::cancel) {
        // Not queued: it is for the call running now, or for one queued in pending_.
        if (auto state = take_cancel(received->message)) cancelled = std::move(state);
        continue;
      }
      pending_.push_back(std::move(*received));
    }
  }
  if (now - last_sent_ >= heartbeat_interval_) send_heartbeat(now);
  lock.unlock();
  // Outside the socket mutex: on_cancel callbacks may report progress, which takes it.
  if (cancelled) cancelled->cancel();
  return activity;
}

namespace {
bool same_bytes(const zmq::message_t& a, const zmq::message_t& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

std::shared_ptr<ServerCallState> Worker::take_cancel(const mdp::WorkerMessage& cancel) {
  if (running_client_ != nullptr && running_call_ == cancel.call && same_bytes(*running_client_, cancel.client))
    return running_state_;
  for (auto& queued : pending_) {
    const auto& request = queued.message;
    if (request.command == mdp::Command::request && request.header && request.header->call == cancel.call &&
        same_bytes(request.client, cancel.client)) {
      queued.cancelled = true;
      break;
    }
  }
  return nullptr;
}

void Worker::send_progress(const zmq::message_t& client, std::uint64_t call, std::string_view body) {
  std::lock_guard<std::mutex> lock(socket_mutex_);
  // Never waits for a full socket: progress is lossy, the call's pace is not (PROTOCOL §2.6).
  // Heartbeats keep their own pace: a broker need not count progress as a sign of life.
  if (socket_) mdp::send_progress(*socket_, client, call, body);
}

void Worker::connect() {
  socket_ = std::make_unique<zmq::socket_t>(broker_socket(context_, zmq::socket_type::dealer, broker_, credentials_));
  socket_->set(zmq::sockopt::linger, linger_ms);
  socket_->set(zmq::sockopt::sndtimeo, send_timeout_ms);
  monitor_ = std::make_unique<ConnectionMonitor>(context_, *socket_, endpoint_);
  socket_->connect(endpoint_);
  const auto info = this_process();
  mdp::send_ready(*socket_, object_id_, options_.credit, &info);
  last_sent_ = last_heard_ = Clock::now();
  heard_since_ready_ = false;
  pending_.clear();
}

void Worker::abandon() {
  if (!socket_) return;
  // Without it the broker would keep routing calls to this identity until it expires us.
  mdp::send_command(*socket_, mdp::Command::disconnect);
  monitor_.reset();
  socket_.reset();
}

void Worker::watch_link() {
  while (auto event = monitor_->next()) {
    if (event->kind == LinkEvent::Kind::up) {
      if (!link_up_) spdlog::info("roc worker '{}': connected to the broker at {}", object_id_, endpoint_);
      link_up_ = true;
      link_down_logged_ = false;
      continue;
    }
    // Up as last said, and now down: "lost", whether this socket saw the drop or a new one (after
    // a DISCONNECT or a silent broker) finds nothing there.
    const bool was_up = link_up_;
    link_up_ = false;
    if (link_down_logged_) continue;
    link_down_logged_ = true;
    if (was_up)
      spdlog::warn("roc worker '{}': lost the connection to the broker at {}; reconnecting", object_id_, endpoint_);
    else
      spdlog::warn("roc worker '{}': broker unreachable at {} ({}); retrying", object_id_, endpoint_, event->reason);
  }
}

void Worker::send_heartbeat(Clock::time_point now) {
  mdp::send_command(*socket_, mdp::Command::heartbeat);
  last_sent_ = now;
}

void Worker::on_broker_heartbeat(Clock::time_point at) {
  heard_since_ready_ = true;
  // Shorter than any sane heartbeat: two HEARTBEATs queued back to back say nothing of the pace.
  constexpr auto shortest = std::chrono::milliseconds(20);
  const auto gap = at - last_broker_heartbeat_;
  last_broker_heartbeat_ = at;
  if (gap < shortest || gap >= heartbeat_interval_ * 9 / 10) return;
  heartbeat_interval_ = std::chrono::duration_cast<std::chrono::milliseconds>(gap);
  spdlog::info("roc worker '{}': the broker heartbeats every {} ms, faster than this server's {} ms; keeping up",
               object_id_, heartbeat_interval_.count(), options_.heartbeat_interval.count());
}

void Worker::pause(std::chrono::milliseconds delay, std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  constexpr auto step = std::chrono::milliseconds(10);
  for (auto waited = std::chrono::milliseconds(0); waited < delay && !stopping_; waited += step)
    std::this_thread::sleep_for(step);
  lock.lock();
}

bool Worker::decode(mdp::Frames& frames, Clock::time_point at, std::optional<Received>& out) {
  auto decoded = mdp::decode_at_worker(frames);
  if (!decoded) {
    spdlog::warn("roc worker '{}': dropped a malformed message from the broker: {}", object_id_, decoded.error);
    return false;
  }
  out.emplace(Received{std::move(*decoded.message), at});
  return true;
}

void Worker::run() {
  std::unique_lock<std::mutex> lock(socket_mutex_);
  connect();
  const auto broker_expiry = options_.heartbeat_interval * options_.heartbeat_liveness;
  mdp::Frames frames;

  while (!stopping_) {
    std::optional<Received> next;
    if (!pending_.empty()) {
      next = std::move(pending_.front());
      pending_.pop_front();
    } else {
      // Take what is already queued without polling: under load a poll per message is a wasted
      // system call, and the socket usually holds the next request already (credit > 1).
      frames.clear();
      if (zmq::recv_multipart(*socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        last_heard_ = Clock::now();
        decode(frames, last_heard_, next);
      } else {
        auto until_heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(
            last_sent_ + heartbeat_interval_ - Clock::now());
        zmq::pollitem_t items[] = {{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0}, monitor_->poll_item()};
        zmq::poll(items, 2, std::clamp(until_heartbeat, std::chrono::milliseconds(0), max_poll));
        if (items[1].revents & ZMQ_POLLIN) watch_link();
        // Idle here, and silence counts only while idle: brokers that heartbeat idle workers
        // only (the 7/MDP reference ones) say nothing while a call runs.
        if (!(items[0].revents & ZMQ_POLLIN) && Clock::now() - last_heard_ > broker_expiry) {
          // Said already when there is no connection at all; this is for a broker that went silent.
          spdlog::log(link_up_ ? spdlog::level::warn : spdlog::level::debug,
                      "roc worker '{}': no word from the broker at {} for {} ms; reconnecting", object_id_, endpoint_,
                      broker_expiry.count());
          abandon();
          pause(options_.reconnect_delay, lock);
          if (!stopping_) connect();
          continue;
        }
      }
    }
    if (next) handle(*next, lock);
    if (!socket_) continue;  // refused and stopped while pausing
    const auto now = Clock::now();
    if (now - last_sent_ >= heartbeat_interval_) send_heartbeat(now);
  }
  abandon();
}

void Worker::handle(Received& received, std::unique_lock<std::mutex>& lock) {
  auto& message = received.message;
  switch (message.command) {
    case mdp::Command::request:
      heard_since_ready_ = true;
      run_request(received, lock);
      break;
    case mdp::Command::heartbeat:
      on_broker_heartbeat(received.at);
      break;
    case mdp::Command::disconnect:
      on_disconnect(message.reason, lock);
      break;
    case mdp::Command::cancel:
      // Read by this thread, so no call runs, and pending_ was empty when it was read: it names
      // a call answered already (the broker's cancel crossed our reply). Nothing to do; looking
      // anyway keeps this right should the loop ever read ahead of pending_.
      take_cancel(message);
      break;
    default:
      spdlog::warn("roc worker '{}': dropped an unexpected {} from the broker", object_id_,
                   mdp::command_name(message.command));
  }
}

void Worker::run_request(Received& received, std::unique_lock<std::mutex>& lock) {
  auto& message = received.message;
  const auto& body = message.body.front();
  const std::string_view text(static_cast<const char*>(body.data()), body.size());
  auto attachments = attachments_of(message.body);
  std::optional<AttachmentSink> reply_attachments;
  if (message.header && message.header->attachments) reply_attachments.emplace(options_.attachment_min_bytes);
  std::optional<Clock::time_point> deadline;
  if (message.header && message.header->timeout) deadline = received.at + *message.header->timeout;

  std::string reply;
  if (received.cancelled) {
    // Never run; the reply still goes back in its turn, since it returns the broker's credit.
    reply = jsonrpc::error_reply_for(
        text, error_code::cancelled,
        fmt::format("cancelled: the caller cancelled the call to '{}' before it ran", object_id_));
  } else if (deadline && Clock::now() >= *deadline) {
    // The caller has given up: running the call would only delay the calls behind it. The
    // reply still goes back, since it returns the broker's credit.
    spdlog::debug("roc worker '{}': skipped a call whose caller's {} ms timeout passed while it was queued",
                  object_id_, message.header->timeout->count());
    reply = jsonrpc::error_reply_for(
        text, error_code::deadline_expired,
        fmt::format("deadline expired: the caller's timeout of {} ms passed before '{}' could run the call",
                    message.header->timeout->count(), object_id_));
  } else {
    // A named call can be cancelled and may report progress; only those cost a ServerCallState.
    std::shared_ptr<ServerCallState> state;
    if (message.header && message.header->call != 0) {
      ServerCallState::ProgressSender sender;
      if (message.header->progress) {
        sender = [this, &client = message.client, call = message.header->call](std::string_view body) {
          send_progress(client, call, body);
        };
      }
      state = std::make_shared<ServerCallState>(std::move(sender));
      running_client_ = &message.client;
      running_call_ = message.header->call;
      running_state_ = state;
    }
    calls_.store(calls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    busy_.store(true);  // before the keeper's sleeping_ is read (see WorkerKeeper::run)
    keeper_.call_started();
    lock.unlock();  // the keeper may use the socket while the call runs
    {
      CallContext context(object_id_, deadline, state);
      const CallScope scope(context);
      reply = dispatcher_->handle(text, &attachments, reply_attachments ? &*reply_attachments : nullptr);
    }
    if (state) state->end();  // before the socket mutex (lock order); no progress after this
    lock.lock();
    running_client_ = nullptr;
    running_call_ = 0;
    running_state_.reset();
    busy_ = false;
  }
  // An empty reply (notifications only) still goes back: it returns the broker's credit.
  std::vector<OutgoingAttachment> none;
  if (!mdp::send_reply(*socket_, message.client,
                       message_frames(std::move(reply), reply_attachments ? reply_attachments->items() : none)))
    spdlog::warn("roc worker '{}': the broker did not take a reply within {} ms; dropped it", object_id_,
                 send_timeout_ms);
  const auto now = Clock::now();
  last_sent_ = now;
  // Idle again from here (see run()): the broker's silence counts from now.
  last_heard_ = std::max(last_heard_, now);
}

void Worker::on_disconnect(const std::string& reason, std::unique_lock<std::mutex>& lock) {
  // A DISCONNECT that answers our READY is a refusal (a bad id, or a broker that refuses us for
  // its own reasons): registering again at once would refuse again, forever. roc's broker says
  // why; from others, one refusal may be a broker restarting, two in a row are not.
  const bool refused = !heard_since_ready_ && (!reason.empty() || refusals_ >= 1);
  if (heard_since_ready_) refusals_ = 0;
  if (!heard_since_ready_) ++refusals_;
  monitor_.reset();
  socket_.reset();  // the broker has forgotten this identity already: no DISCONNECT back
  if (!refused) {
    last_refusal_.clear();
    spdlog::info("roc worker '{}': the broker asked to reconnect; registering again", object_id_);
    connect();
    return;
  }
  const int doublings = std::min(reason.empty() ? refusals_ - 2 : refusals_ - 1, 5);
  const auto delay = std::min(first_refusal_pause * (1 << std::max(doublings, 0)), last_refusal_pause);
  const std::string why = reason.empty() ? "it gave no reason" : reason;
  if (why != last_refusal_) {
    spdlog::warn("roc worker '{}': the broker at {} refused to register it ({}); trying again after pauses of "
                 "{} s doubling up to {} s",
                 object_id_, endpoint_, why, first_refusal_pause.count() / 1000, last_refusal_pause.count() / 1000);
    last_refusal_ = why;
  } else {
    spdlog::debug("roc worker '{}': refused again ({}); next try in {} ms", object_id_, why, delay.count());
  }
  pause(delay, lock);
  if (!stopping_) connect();
}

}  // namespace roc::detail
