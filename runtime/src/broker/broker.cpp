// roc::Broker: binding the three sockets, the poll loop around BrokerCore, and the lifecycle
// (start/run/stop) of the loop thread and the log/status relay thread.
#include "roc/broker.hpp"

#include "broker/authenticator.hpp"
#include "broker/core.hpp"
#include "broker/relay.hpp"
#include "transport/sockets.hpp"
#include "transport/wakeup.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

namespace roc {
namespace {

using Clock = std::chrono::steady_clock;

// Messages read per wake-up before timers are looked at again: bounds timer lateness under load.
constexpr int receive_batch = 256;
// Poll timeout when no timer is due sooner: a fallback only, stop() wakes the poll at once.
constexpr std::chrono::milliseconds max_poll{500};
// How long stop() lets DISCONNECTs and final error replies drain before the socket closes.
constexpr int router_linger_ms = 500;
// Port 0: random base ports tried in the IANA dynamic range, so base, +1 and +2 all bind.
constexpr int port_attempts = 64;
constexpr unsigned first_dynamic_port = 49152;
constexpr unsigned last_base_port = 65533;

bool is_ipv6(const Endpoints& e) { return !e.host().empty() && e.host().front() == '['; }

// Addresses only this machine can reach: the loopback ranges and ipc:// (no host).
bool is_loopback(const Endpoints& e) {
  const auto& host = e.host();
  return host.empty() || host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]";
}

std::string tcp(const std::string& host, unsigned port) { return fmt::format("tcp://{}:{}", host, port); }

// Values that would make the broker refuse every call or spin are caught here, by name, rather
// than show up later as odd behaviour.
const BrokerOptions& validated(const BrokerOptions& o) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("roc::BrokerOptions: " + what); };
  if (o.heartbeat_interval.count() <= 0) fail("heartbeat_interval must be positive");
  if (o.heartbeat_liveness < 1) fail("heartbeat_liveness must be at least 1");
  if (o.unknown_object_grace.count() < 0) fail("unknown_object_grace must not be negative");
  if (o.max_request_bytes == 0) fail("max_request_bytes must be positive");
  if (o.max_queued_per_object == 0) fail("max_queued_per_object must be at least 1");
  if (o.max_queued_bytes < o.max_request_bytes)
    fail(fmt::format("max_queued_bytes ({}) must be at least max_request_bytes ({}), or a call of the largest "
                     "allowed size could never wait for a worker",
                     o.max_queued_bytes, o.max_request_bytes));
  if (o.max_worker_credit == 0) fail("max_worker_credit must be at least 1");
  if (o.max_message_bytes == 0) fail("max_message_bytes must be positive");
  if (o.status_stale_after.count() < 0) fail("status_stale_after must not be negative (0 switches it off)");
  // A plaintext broker cannot tell keys apart: an allow directory without a certificate would
  // look like protection and be none.
  if (!o.allow_directory.empty() && !o.certificate)
    fail(fmt::format("allow_directory ('{}') needs a certificate: without CURVE no key is checked", o.allow_directory));
  // ZeroMQ takes these as int milliseconds; 0 would switch its guard off, which is not a limit.
  const std::pair<const char*, std::chrono::milliseconds> connection_limits[] = {
      {"handshake_timeout", o.handshake_timeout},
      {"ping_interval", o.ping_interval},
      {"connection_timeout", o.connection_timeout}};
  for (const auto& [name, value] : connection_limits)
    if (value.count() < 1 || value.count() > std::numeric_limits<int>::max())
      fail(fmt::format("{} must be from 1 ms to {} ms, got {} ms", name, std::numeric_limits<int>::max(),
                       value.count()));
  return o;
}

}  // namespace

class Broker::Impl {
 public:
  explicit Impl(BrokerOptions options)
      : options_(validated(options)), bound_(parse(options_.bind)) {
    if (options_.certificate) {
      if (!options_.certificate->has_secret())
        throw Error(fmt::format("the broker's certificate (public key {}) has no secret key", options_.certificate->public_key()));
      // The authenticator fills the ring (from the allow directory, or open to any key) and keeps
      // it in step with the directory.
      keyring_ = std::make_unique<detail::KeyringHolder>(detail::Keyring::open());
      authenticator_ = std::make_unique<detail::Authenticator>(*keyring_, options_.allow_directory);
    }
  }

  ~Impl() { stop(); }

  void start() {
    std::lock_guard lock(mutex_);
    bind_locked();
    thread_ = std::thread([this] { serve(); });
  }

  void run() {
    {
      std::lock_guard lock(mutex_);
      if (state_ == State::stopped) return;
      bind_locked();
    }
    serve();
  }

  void stop() {
    std::unique_lock lock(mutex_);
    if (state_ == State::stopped) return;
    const bool was_running = state_ == State::running;
    state_ = State::stopped;
    stop_requested_ = true;
    if (was_running) {
      detail::send_wakeup(context_, wake_endpoint_);
      if (thread_.joinable()) {
        lock.unlock();
        thread_.join();
        lock.lock();
      } else {
        serving_done_.wait(lock, [this] { return !serving_; });  // run() in another thread
      }
    }
    if (relay_) {
      relay_->stop();
      last_stats_.status_dropped = relay_->status_dropped();
      last_stats_.publications_refused = relay_->publications_refused();
      last_stats_.publications_forged = relay_->publications_forged();
    }
    relay_.reset();
    // Only once the broker's sockets are closed (see Authenticator::stop).
    if (authenticator_) authenticator_->stop();
    core_.reset();
    // The loop closed these when it ran; when a failed start() left them open, close them here,
    // or closing the context would wait for them forever.
    if (router_) zmq_socket_monitor(router_->handle(), nullptr, 0);
    router_.reset();
    monitor_.close();
    wake_.close();
    presence_.close();
    context_.close();  // blocks until every socket is closed: the ports are free afterwards
  }

  Endpoints endpoints() const {
    std::lock_guard lock(mutex_);
    if (!bound_.port()) return bound_;  // ipc, or not bound yet
    auto host = bound_.host();
    if (host == "*" || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "[::]") host = "[::1]";
    return Endpoints(fmt::format("{}:{}", host, bound_.port()));
  }

  BrokerStats stats() const {
    std::lock_guard lock(mutex_);
    auto s = core_ ? core_->stats() : last_stats_;
    s.status_dropped = relay_ ? relay_->status_dropped() : last_stats_.status_dropped;
    s.publications_refused = relay_ ? relay_->publications_refused() : last_stats_.publications_refused;
    s.publications_forged = relay_ ? relay_->publications_forged() : last_stats_.publications_forged;
    if (authenticator_) {
      s.keys_admitted = authenticator_->admitted();
      s.keys_refused = authenticator_->refused();
    }
    return s;
  }

  std::map<std::string, std::size_t> workers() const {
    std::lock_guard lock(mutex_);
    return core_ ? core_->worker_counts() : std::map<std::string, std::size_t>{};
  }

  void reload_keys() {
    if (authenticator_) authenticator_->reload();
  }

 private:
  enum class State { idle, running, stopped };

  static Endpoints parse(const std::string& address) {
    try {
      return Endpoints(address);
    } catch (const std::invalid_argument& e) {
      throw Error(fmt::format("cannot start the broker: {}", e.what()));
    }
  }

  // Binds all sockets or none; sets state_ to running. Called with mutex_ held.
  void bind_locked() {
    if (state_ != State::idle)
      throw Error(state_ == State::running ? "the broker is already running"
                                           : "a stopped broker cannot be restarted; make a new one");
    // Before anything binds: a handshake that found no handler would be let in without a key.
    if (authenticator_) authenticator_->start(context_);
    const bool ipv6 = is_ipv6(bound_);
    if (!bound_.port() && bound_.host().empty()) {  // ipc://
      bind_at(bound_.calls(), bound_.publish(), bound_.subscribe(), ipv6);
    } else if (bound_.port() != 0) {
      bind_at(bound_.calls(), bound_.publish(), bound_.subscribe(), ipv6);
    } else {
      bind_free_port(ipv6);
    }
    watch_disconnects();
    wake_ = detail::inproc_socket(context_, zmq::socket_type::pull);
    wake_endpoint_ = detail::bind_wakeup(wake_, "broker");
    core_ = std::make_unique<detail::BrokerCore>(*router_, options_, keyring_.get(), presence_publisher());
    relay_->start();
    state_ = State::running;
    serving_ = true;
    spdlog::info("broker: calls on {}, publish on {}, subscribe on {}", bound_.calls(), bound_.publish(),
                 bound_.subscribe());
    log_security_mode();
  }

  // Presence events go from the loop thread to the relay thread, which owns the XPUB, over an
  // inproc PUSH the loop thread alone uses. A full pipe drops the event rather than stall calls.
  detail::BrokerCore::PresencePublisher presence_publisher() {
    presence_ = detail::inproc_socket(context_, zmq::socket_type::push);
    presence_.connect(relay_->inbox_endpoint());
    return [this](std::string topic, std::string body) {
      if (presence_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        presence_.send(zmq::buffer(body), zmq::send_flags::none);
    };
  }

  // Says at start which kind of broker this is; warns when a plaintext one is reachable from
  // other machines, which is how a lab network ends up open to anyone on it.
  void log_security_mode() const {
    if (!options_.certificate) {
      spdlog::info("broker: plaintext: no certificate, every peer is admitted");
      if (!is_loopback(bound_))
        spdlog::warn("broker: bound to {} without a certificate: anyone who can reach it may call, serve and publish "
                     "anything; see docs/security.md (rocbroker --cert, --allow)",
                     bound_.calls());
    } else if (options_.allow_directory.empty()) {
      spdlog::info("broker: CURVE with key {}, admitting any key (no allow directory)", options_.certificate->public_key());
    } else {
      spdlog::info("broker: CURVE with key {}, admitting {} keys from {}", options_.certificate->public_key(),
                   keyring_->get()->size(), options_.allow_directory);
    }
  }

  // A worker process that dies closes its TCP connection: the ROUTER's monitor reports that at
  // once, so the calls it held get -32002 now rather than after interval × liveness.
  void watch_disconnects() {
    const std::string endpoint = "inproc://roc-broker-monitor";
    if (zmq_socket_monitor(router_->handle(), endpoint.c_str(), ZMQ_EVENT_DISCONNECTED) != 0)
      throw Error(fmt::format("the broker cannot monitor its socket: {}", zmq_strerror(zmq_errno())));
    monitor_ = detail::inproc_socket(context_, zmq::socket_type::pair);
    monitor_.connect(endpoint);
  }

  // Reads the monitor's pending events: [6 bytes: uint16 event, uint32 value (the fd)], [endpoint].
  void read_disconnects() {
    for (;;) {
      detail::mdp::Frames event;
      if (!zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) return;
      if (event.empty() || event[0].size() < 6) continue;
      std::uint16_t id = 0;
      std::uint32_t fd = 0;
      std::memcpy(&id, event[0].data(), sizeof id);
      std::memcpy(&fd, static_cast<const char*>(event[0].data()) + sizeof id, sizeof fd);
      if (id == ZMQ_EVENT_DISCONNECTED) core_->on_peer_disconnected(static_cast<int>(fd));
    }
  }

  // Throws roc::Error naming the endpoint that failed; on failure nothing stays bound.
  void bind_at(const std::string& calls, const std::string& publish, const std::string& subscribe, bool ipv6) {
    std::string failed = calls;
    try {
      auto router = detail::broker_side_socket(context_, zmq::socket_type::router, ipv6, options_);
      router.set(zmq::sockopt::linger, router_linger_ms);
      router.bind(calls);
      failed = publish + " or " + subscribe;
      relay_ = std::make_unique<detail::Relay>(context_, publish, subscribe, ipv6, options_, keyring_.get());
      router_ = std::move(router);
    } catch (const zmq::error_t& e) {
      last_errno_ = e.num();
      throw Error(fmt::format("the broker cannot bind {}: {}", failed, e.what()));
    }
  }

  void bind_free_port(bool ipv6) {
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<unsigned> pick(first_dynamic_port, last_base_port);
    const auto& host = bound_.host();
    for (int attempt = 0; attempt < port_attempts; ++attempt) {
      const unsigned base = pick(random);
      try {
        bind_at(tcp(host, base), tcp(host, base + 1), tcp(host, base + 2), ipv6);
        bound_ = Endpoints(fmt::format("{}:{}", host, base));
        return;
      } catch (const Error&) {
        if (last_errno_ != EADDRINUSE) throw;  // a bad host, not a busy port: retrying won't help
      }
    }
    throw Error(fmt::format("the broker found no free base port on {} with +1 and +2 free after {} tries",
                            host, port_attempts));
  }

  // The loop: read what arrives, run the timers, until stop(). Runs in the thread that
  // owns router_ (start()'s thread or run()'s caller).
  void serve() {
    zmq::pollitem_t items[] = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                               {wake_.handle(), 0, ZMQ_POLLIN, 0},
                               {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
    detail::mdp::Frames frames;
    frames.reserve(8);
    while (!stop_requested_) {
      try {
        auto now = Clock::now();
        if (now >= core_->next_wakeup()) core_->on_timer(now);
        const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(core_->next_wakeup() - now);
        const auto timeout = std::clamp(until + std::chrono::milliseconds(1), std::chrono::milliseconds(0), max_poll);
        zmq::poll(items, 3, timeout);
        if (items[1].revents & ZMQ_POLLIN) break;
        // Disconnects first: a descriptor number freed by one can be reused by a new peer whose
        // messages are already waiting on the ROUTER.
        if (items[2].revents & ZMQ_POLLIN) read_disconnects();
        if (items[0].revents & ZMQ_POLLIN) {
          for (int i = 0; i < receive_batch; ++i) {
            frames.clear();
            if (!zmq::recv_multipart(*router_, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
            core_->handle(frames, Clock::now());
          }
        }
        // After the batch: a worker's goodbye sent just before its connection closed is in it.
        core_->settle_lost_workers(Clock::now());
      } catch (const std::exception& e) {
        // Nothing a peer sends should get here; if it does, the others must still be served.
        spdlog::error("broker: {}", e.what());
      }
    }
    try {
      core_->shutdown();
    } catch (const std::exception& e) {
      spdlog::error("broker: while stopping: {}", e.what());
    }
    {
      std::lock_guard lock(mutex_);
      last_stats_ = core_->stats();
      zmq_socket_monitor(router_->handle(), nullptr, 0);
      monitor_.close();
      router_.reset();
      wake_.close();
      presence_.close();
      serving_ = false;
    }
    serving_done_.notify_all();
  }

  BrokerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable serving_done_;
  State state_ = State::idle;
  bool serving_ = false;
  std::atomic<bool> stop_requested_{false};
  Endpoints bound_;
  int last_errno_ = 0;
  BrokerStats last_stats_;

  // Admitted keys (null for a plaintext broker); swapped whole when the allow directory changes.
  std::unique_ptr<detail::KeyringHolder> keyring_;
  std::unique_ptr<detail::Authenticator> authenticator_;  // null for a plaintext broker
  zmq::context_t context_;
  std::optional<zmq::socket_t> router_;
  zmq::socket_t wake_;
  std::string wake_endpoint_;
  zmq::socket_t monitor_;  // PAIR reading the ROUTER's disconnect events
  zmq::socket_t presence_;  // PUSH to the relay's inbox: presence events (loop thread only)
  std::unique_ptr<detail::Relay> relay_;
  std::unique_ptr<detail::BrokerCore> core_;
  std::thread thread_;
};

Broker::Broker(BrokerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Broker::~Broker() = default;
void Broker::start() { impl_->start(); }
void Broker::run() { impl_->run(); }
void Broker::stop() { impl_->stop(); }
Endpoints Broker::endpoints() const { return impl_->endpoints(); }
BrokerStats Broker::stats() const { return impl_->stats(); }
std::map<std::string, std::size_t> Broker::workers() const { return impl_->workers(); }
void Broker::reload_keys() { impl_->reload_keys(); }

}  // namespace roc
