// The worker loop of 7/MDP (rfc 7) with roc's credit on READY (DESIGN §3.1).
#include "worker.hpp"

#include "mdp.hpp"

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <iterator>

namespace roc::detail {
namespace {
// Upper bound on one poll, so stop() is noticed promptly.
constexpr auto max_poll = std::chrono::milliseconds(100);
// A send refused this long (broker unreachable and queue full) fails instead of blocking.
constexpr int send_timeout_ms = 1000;
}  // namespace

Worker::Worker(zmq::context_t& context, std::string broker_endpoint, std::string object_id,
               std::shared_ptr<Dispatcher> dispatcher, const ServerOptions& options)
    : context_(context),
      endpoint_(std::move(broker_endpoint)),
      object_id_(std::move(object_id)),
      dispatcher_(std::move(dispatcher)),
      options_(options) {}

Worker::~Worker() { stop(); }

void Worker::start() { thread_ = std::thread([this] { run(); }); }

void Worker::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Worker::keep_alive() {
  if (!busy_) return;
  std::unique_lock<std::mutex> lock(socket_mutex_, std::try_to_lock);
  if (!lock || !busy_ || !socket_) return;
  const auto now = Clock::now();
  if (now - last_sent_ >= options_.heartbeat_interval) send_heartbeat(now);
}

void Worker::connect() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::sndtimeo, send_timeout_ms);
  socket_->connect(endpoint_);
  mdp::send_ready(*socket_, object_id_, options_.credit);
  last_sent_ = Clock::now();
}

void Worker::disconnect() {
  if (!socket_) return;
  mdp::send_command(*socket_, mdp::Command::disconnect);
  socket_.reset();
}

void Worker::send_heartbeat(Clock::time_point now) {
  mdp::send_command(*socket_, mdp::Command::heartbeat);
  last_sent_ = now;
}

void Worker::run() {
  std::unique_lock<std::mutex> lock(socket_mutex_);
  connect();
  auto last_heard = Clock::now();
  const auto broker_expiry = options_.heartbeat_interval * options_.heartbeat_liveness;
  mdp::Frames frames;

  while (!stopping_) {
    // Take what is already queued without polling: under load a poll per message is a wasted
    // system call, and the socket usually holds the next request already (credit > 1).
    frames.clear();
    if (!zmq::recv_multipart(*socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      auto until_heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_sent_ + options_.heartbeat_interval - Clock::now());
      zmq::pollitem_t item{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::clamp(until_heartbeat, std::chrono::milliseconds(0), max_poll));
      const auto now = Clock::now();
      if (!(item.revents & ZMQ_POLLIN) && now - last_heard > broker_expiry) {
        spdlog::warn("roc worker '{}': no word from the broker at {} for {} ms; reconnecting", object_id_, endpoint_,
                     broker_expiry.count());
        socket_.reset();
        lock.unlock();
        for (auto waited = std::chrono::milliseconds(0); waited < options_.reconnect_delay && !stopping_;
             waited += std::chrono::milliseconds(10))
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        lock.lock();
        connect();
        last_heard = Clock::now();
        continue;
      }
    } else {
      last_heard = Clock::now();
      handle(frames, lock);
    }
    if (Clock::now() - last_sent_ >= options_.heartbeat_interval) send_heartbeat(Clock::now());
  }
  disconnect();
}

void Worker::handle(mdp::Frames& frames, std::unique_lock<std::mutex>& lock) {
  auto decoded = mdp::decode_at_worker(frames);
  if (!decoded) {
    spdlog::warn("roc worker '{}': dropped a malformed message from the broker: {}", object_id_, decoded.error);
    return;
  }
  auto& message = *decoded.message;
  switch (message.command) {
    case mdp::Command::request: {
      const auto& body = message.body.front();
      busy_ = true;
      lock.unlock();  // the keeper may heartbeat through the socket while the call runs
      std::string reply = dispatcher_->handle(std::string_view(static_cast<const char*>(body.data()), body.size()));
      lock.lock();
      busy_ = false;
      // An empty reply (notifications only) still goes back: it returns the broker's credit.
      if (!mdp::send_reply(*socket_, message.client, mdp::frame_from(std::move(reply))))
        spdlog::warn("roc worker '{}': the broker did not take a reply within {} ms; dropped it", object_id_,
                     send_timeout_ms);
      last_sent_ = Clock::now();
      break;
    }
    case mdp::Command::heartbeat:
      break;
    case mdp::Command::disconnect:
      spdlog::info("roc worker '{}': the broker asked to reconnect; registering again", object_id_);
      socket_.reset();
      connect();
      break;
    default:
      spdlog::warn("roc worker '{}': dropped an unexpected {} from the broker", object_id_,
                   mdp::command_name(message.command));
  }
}

}  // namespace roc::detail
