// Subscription helpers for the logging, status and CLI tests.
#include "log_test_support.hpp"

#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace roc::test {

std::vector<zmq::message_t> receive(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  std::vector<zmq::message_t> frames;
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, timeout);
  if (!(item.revents & ZMQ_POLLIN)) return frames;
  do {
    frames.emplace_back();
    if (!socket.recv(frames.back(), zmq::recv_flags::dontwait)) {
      frames.pop_back();
      break;
    }
  } while (frames.back().more());
  return frames;
}

bool wait_subscribed(zmq::context_t& context, zmq::socket_t& sub, const roc::Endpoints& endpoints,
                     const std::string& prefix, std::chrono::milliseconds timeout) {
  zmq::socket_t pub(context, zmq::socket_type::pub);
  pub.set(zmq::sockopt::linger, 0);
  pub.connect(endpoints.publish());
  const std::string topic = prefix + "probe";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    pub.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer("{}"), zmq::send_flags::none);
    auto frames = receive(sub, std::chrono::milliseconds(10));
    if (!frames.empty() && frames[0].to_string_view() == topic) seen = true;
  }
  // Probes still on their way would confuse the caller's checks.
  while (seen) {
    auto frames = receive(sub, std::chrono::milliseconds(50));
    if (frames.empty()) break;
    if (frames[0].to_string_view() != topic) break;  // callers start publishers only after this returns
  }
  return seen;
}

CallsPortOnly::CallsPortOnly() {
  router_.set(zmq::sockopt::linger, 0);
  for (int attempt = 0; attempt < 50; ++attempt) {
    router_.bind("tcp://127.0.0.1:*");
    const auto bound = router_.get(zmq::sockopt::last_endpoint);
    const int base = std::stoi(bound.substr(bound.rfind(':') + 1));
    bool free = base + 2 <= 65535;
    // A plain socket, bound and closed without listen(): the port is free again at once, and
    // nothing ever accepted a connection on it.
    for (int offset = 1; free && offset <= 2; ++offset) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<std::uint16_t>(base + offset));
      free = fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
      if (fd >= 0) ::close(fd);
    }
    if (free) {
      address_ = "127.0.0.1:" + std::to_string(base);
      return;
    }
    router_.unbind(bound);
  }
  throw std::runtime_error("no free port with two free ports above it");
}

}  // namespace roc::test
