// roc::Server: owns the ZeroMQ context, one Worker per published object (or N), and the keeper
// thread that looks after workers busy in calls.
#include "roc/server.hpp"

#include "core/stop_signal.hpp"
#include "server/worker.hpp"

#include <fmt/format.h>

#include <mutex>
#include <stdexcept>
#include <thread>

namespace roc {

struct Server::Impl {
  struct Published {
    std::string id;
    std::shared_ptr<detail::Dispatcher> dispatcher;
    PublishOptions options;
  };

  Impl(Endpoints b, ServerOptions o) : broker(std::move(b)), credentials(broker.credentials()), options(o) {}

  void start_workers(const Published& p) {  // needs mutex
    for (unsigned i = 0; i < std::max(1u, p.options.workers); ++i) {
      workers.push_back(
          std::make_unique<detail::Worker>(context, broker, credentials, p.id, p.dispatcher, options, keeper));
      keeper.add(*workers.back());
      workers.back()->start();
    }
  }

  Endpoints broker;
  Credentials credentials;  // resolved once, when the server is made: a bad file fails there
  ServerOptions options;
  zmq::context_t context{1};
  mutable std::mutex mutex;
  std::vector<Published> published;
  detail::WorkerKeeper keeper{options.heartbeat_interval};  // declared before the workers it looks after
  std::vector<std::unique_ptr<detail::Worker>> workers;
  bool started = false;
  bool stopped = false;
};

Server::Server(Endpoints broker, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(broker), options)) {
  if (options.heartbeat_interval.count() <= 0 || options.heartbeat_liveness < 1 || options.credit < 1)
    throw std::invalid_argument("roc::ServerOptions: heartbeat_interval, heartbeat_liveness and credit must be positive");
}

Server::~Server() { stop(); }

void Server::publish_erased(std::string id, std::shared_ptr<const detail::InterfaceTable> table, void* object,
                            PublishOptions options) {
  if (id.empty()) throw std::invalid_argument("roc::Server::publish: the object id is empty");
  if (id.rfind("mmi.", 0) == 0)
    throw std::invalid_argument(fmt::format("roc::Server::publish: id '{}' is reserved for the broker (mmi.*)", id));
  std::lock_guard<std::mutex> lock(impl_->mutex);
  for (const auto& p : impl_->published)
    if (p.id == id) throw std::invalid_argument(fmt::format("roc::Server::publish: id '{}' is already published", id));
  Impl::Published p{id, std::make_shared<detail::Dispatcher>(id, std::move(table), object), options};
  impl_->published.push_back(p);
  if (impl_->started && !impl_->stopped) impl_->start_workers(p);
}

void Server::start() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->started || impl_->stopped) return;  // a stopped server stays stopped
  impl_->started = true;
  for (const auto& p : impl_->published) impl_->start_workers(p);
  impl_->keeper.start();
}

void Server::stop() {
  std::vector<std::unique_ptr<detail::Worker>> workers;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    workers.swap(impl_->workers);
  }
  impl_->keeper.stop();  // before the workers it points to go
  workers.clear();  // each Worker sends DISCONNECT and joins
}

void Server::run() {
  detail::StopSignal signal;
  start();
  while (!signal.wait_for(std::chrono::milliseconds(100))) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
  }
  stop();
}

std::vector<std::string> Server::objects() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::string> ids;
  for (const auto& p : impl_->published) ids.push_back(p.id);
  return ids;
}

const Endpoints& Server::broker() const noexcept { return impl_->broker; }

}  // namespace roc
