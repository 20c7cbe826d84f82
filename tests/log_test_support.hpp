// Subscription helpers for the logging, status and CLI tests (and process helpers, through
// support/process.hpp).
#pragma once

#include "support/process.hpp"

#include <roc/endpoints.hpp>

#include <zmq.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace roc::test {

/// Reads the next multipart message from `socket` within `timeout`; empty when none came.
std::vector<zmq::message_t> receive(zmq::socket_t& socket, std::chrono::milliseconds timeout);

/// Makes sure `sub`'s subscription to `prefix` is active at the broker: publishes probes on
/// topic `prefix + "probe"` until `sub` receives one (then drains the probes). False on timeout.
bool wait_subscribed(zmq::context_t& context, zmq::socket_t& sub, const roc::Endpoints& endpoints,
                     const std::string& prefix, std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Something that listens on a free base port on 127.0.0.1 (a ROUTER, as a Majordomo broker
/// would have) while nothing listens on base+1 and base+2, where a roc broker has its log and
/// status ports. Checked by binding them for a moment, so nothing else holds them (barring a
/// race with another program in those microseconds).
class CallsPortOnly {
 public:
  CallsPortOnly();
  /// `127.0.0.1:<base>`.
  const std::string& address() const noexcept { return address_; }

 private:
  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string address_;
};

}  // namespace roc::test
