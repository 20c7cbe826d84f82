// A child process for the end-to-end tests: publishes a test Device under an id, with short
// heartbeats (100 ms unless HEARTBEAT_MS says otherwise), until killed.
// Args: BROKER_ADDRESS OBJECT_ID [TAG [HEARTBEAT_MS]].
#include "support/test_device.hpp"

#include <roc/server.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BROKER_ADDRESS OBJECT_ID [TAG [HEARTBEAT_MS]]\n", argv[0]);
    return 2;
  }
  testing_lab::Device device(argc > 3 ? argv[3] : "child");
  roc::ServerOptions options;
  options.heartbeat_interval = std::chrono::milliseconds(argc > 4 ? std::atoi(argv[4]) : 100);
  roc::Server server{roc::Endpoints{argv[1]}, options};
  server.publish(argv[2], device);
  server.run();
  return 0;
}
