// A child process for the end-to-end tests: publishes a test Device under an id, with short
// heartbeats, until killed. Args: BROKER_ADDRESS OBJECT_ID [TAG].
#include "support/test_device.hpp"

#include <roc/server.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BROKER_ADDRESS OBJECT_ID [TAG]\n", argv[0]);
    return 2;
  }
  testing_lab::Device device(argc > 3 ? argv[3] : "child");
  roc::ServerOptions options;
  options.heartbeat_interval = std::chrono::milliseconds(100);
  roc::Server server{roc::Endpoints{argv[1]}, options};
  server.publish(argv[2], device);
  server.run();
  return 0;
}
