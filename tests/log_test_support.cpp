// Subscription helpers for the logging, status and CLI tests.
#include "log_test_support.hpp"

#include <thread>

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

}  // namespace roc::test
