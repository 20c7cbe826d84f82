// roc::Server: publishes C++ objects under ids as 7/MDP workers of the broker.
#pragma once

#include "roc/binding.hpp"
#include "roc/endpoints.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace roc {

/// How a server talks to the broker.
struct ServerOptions {
  /// HEARTBEAT period towards the broker; heartbeats continue while a method runs.
  std::chrono::milliseconds heartbeat_interval{2500};
  /// The broker is presumed gone after heartbeat_interval × heartbeat_liveness of silence while
  /// the worker is idle (brokers need not heartbeat busy workers); the worker then says
  /// DISCONNECT, reconnects and registers again.
  int heartbeat_liveness = 3;
  /// Pause before reconnecting after the broker was lost.
  std::chrono::milliseconds reconnect_delay{250};
  /// Requests the broker may keep in flight at each worker (roc's credit extension). They are
  /// still executed one at a time, in arrival order.
  std::uint32_t credit = 64;
  /// A result value of at least this many bytes (a vector or array of numbers, roc::Bytes,
  /// roc::NdArray) goes to a caller that reads attachments as a binary frame instead of JSON
  /// (idl/PROTOCOL.md §3.3). 0 sends every such value as an attachment.
  std::size_t attachment_min_bytes = 1024;
};

/// How one object is published.
struct PublishOptions {
  /// Number of workers serving this object concurrently. More than 1 only for objects whose
  /// methods are safe to call from several threads at once; the default serializes every call.
  unsigned workers = 1;
};

/// Publishes objects under ids. Each published object gets its own worker thread(s) and socket,
/// so a slow object never delays another.
///
/// The server does not own published objects: they must outlive it (or its stop()). publish()
/// may be called before or after start(). Methods of a Server are thread-safe.
class Server {
 public:
  explicit Server(Endpoints broker = Endpoints::from_env(), ServerOptions options = {});
  /// Calls stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Publishes `object` through its generated skeleton (roc::Skeleton<T>).
  template <class T>
  void publish(std::string id, T& object, PublishOptions options = {}) {
    publish(std::move(id), object, Skeleton<T>::binding(), options);
  }

  /// Publishes `object` through a hand-written binding.
  template <class T>
  void publish(std::string id, T& object, const Binding<T>& binding, PublishOptions options = {}) {
    publish_erased(std::move(id), binding.table(), &object, options);
  }

  /// Publishes through a type-erased interface table (what the templates above call).
  /// Throws std::invalid_argument for an empty, reserved (`mmi.*`) or already published id.
  void publish_erased(std::string id, std::shared_ptr<const detail::InterfaceTable> table, void* object,
                      PublishOptions options);

  /// Starts the workers in background threads and returns. Does nothing when already started,
  /// or after stop(): a Server is single-use.
  void start();
  /// Sends DISCONNECT for every worker, waits for calls in progress to finish and joins the
  /// threads. Idempotent.
  void stop();
  /// start(), then blocks until SIGINT or SIGTERM arrives or stop() is called elsewhere.
  void run();

  /// Ids published so far.
  std::vector<std::string> objects() const;
  const Endpoints& broker() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roc
