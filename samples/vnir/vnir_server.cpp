// vnir-server: publishes a simulated VNIR camera under an id until SIGINT/SIGTERM.
#include "vnir_skeleton.hpp"

#include <roc/cli.hpp>
#include <roc/client.hpp>
#include <roc/log.hpp>
#include <roc/server.hpp>
#include <roc/status.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

/// Emits `<id>.temperature` and `<id>.frames` every second until stopped. It asks the camera
/// through the broker, so the reads run on the object's worker like any other call (no locking).
class StatusLoop {
 public:
  StatusLoop(const roc::Endpoints& endpoints, std::string id)
      : status_(endpoints), client_(endpoints), id_(std::move(id)), thread_([this] { run(); }) {}
  ~StatusLoop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    auto camera = client_[id_].with_timeout(std::chrono::milliseconds(900));
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      try {
        // Both values in one update, so a reader never sees one without the other.
        const double temperature = camera.call<double>("temperature");
        const std::uint64_t frames = camera.call<std::uint64_t>("frames_grabbed");
        status_.emit_json(id_, fmt::format(R"({{"temperature":{},"frames":{}}})", temperature, frames));
      } catch (const roc::Error& error) {
        spdlog::warn("status: cannot read the camera: {}", error.what());
      }
    }
  }

  roc::StatusUpdater status_;
  roc::Client client_;
  std::string id_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Publishes a simulated VNIR camera through a roc broker."};
  roc::cli::set_program(app, "vnir-server");
  roc::cli::BrokerArgs connection;
  std::string id = "vnir";
  connection.add_to(app);
  app.add_option("-i,--id", id, "Object id to publish the camera under")->capture_default_str();
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;

  try {
    const auto endpoints = connection.endpoints();
    lab::VnirCamera camera;
    roc::Server server{endpoints};
    server.publish(id, camera);
    roc::log::install(endpoints, id + "-server");  // every spdlog record also goes to the broker
    StatusLoop status{endpoints, id};
    spdlog::info("publishing '{}' at broker {}; Ctrl-C stops", id, endpoints.address());
    server.run();
    spdlog::info("stopped");
    roc::log::uninstall();
  } catch (const std::exception& error) {
    fmt::print(stderr, "vnir-server: {}\n", error.what());
    return 1;
  }
  return 0;
}
