// vnir-server: publishes a simulated VNIR camera under an id until SIGINT/SIGTERM.
#include "vnir_binding.hpp"

#include <roc/server.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  CLI::App app{"Publishes a simulated VNIR camera through a roc broker."};
  std::string broker;
  std::string id = "vnir";
  app.add_option("-b,--broker", broker, "Broker address (host, host:port, tcp://host:port); default $ROC_BROKER or localhost:5555");
  app.add_option("-i,--id", id, "Object id to publish the camera under")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    auto endpoints = broker.empty() ? roc::Endpoints::from_env() : roc::Endpoints{broker};
    lab::VnirCamera camera;
    roc::Server server{endpoints};
    server.publish(id, camera);
    spdlog::info("publishing '{}' at broker {}; Ctrl-C stops", id, endpoints.address());
    server.run();
    spdlog::info("stopped");
  } catch (const std::exception& error) {
    fmt::print(stderr, "vnir-server: {}\n", error.what());
    return 1;
  }
  return 0;
}
