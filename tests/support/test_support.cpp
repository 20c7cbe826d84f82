// Helpers shared by the tests.
#include "support/test_support.hpp"

#include <zmq.hpp>

#include <stdexcept>
#include <string>
#include <thread>

namespace roc::test {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

unsigned free_base_port() {
  zmq::context_t context;
  for (int attempt = 0; attempt < 50; ++attempt) {
    zmq::socket_t probe(context, zmq::socket_type::router);
    probe.set(zmq::sockopt::linger, 0);
    probe.bind("tcp://127.0.0.1:*");
    const auto bound = probe.get(zmq::sockopt::last_endpoint);
    const auto base = static_cast<unsigned>(std::stoul(bound.substr(bound.rfind(':') + 1)));
    try {
      zmq::socket_t above(context, zmq::socket_type::router);
      above.set(zmq::sockopt::linger, 0);
      above.bind("tcp://127.0.0.1:" + std::to_string(base + 1));
      above.bind("tcp://127.0.0.1:" + std::to_string(base + 2));
    } catch (const zmq::error_t&) {
      continue;
    }
    return base;
  }
  throw std::runtime_error("no free port with two free ports above it");
}

}  // namespace roc::test
