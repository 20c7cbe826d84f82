// What `roc logs`, `roc status` and roc-logdump tell the operator about their connection to the
// broker's subscribe port: that nothing accepts connections there, or, once it was up, that it
// was lost and that it is back — one line each.
#pragma once

#include <roc/endpoints.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace roc::cli {

class LinkWatch {
 public:
  using Clock = std::chrono::steady_clock;

  /// `who` prefixes every line (`roc logs`); `subscribe_endpoint` is the subscription's.
  /// `connect_timeout` zero: never give up.
  LinkWatch(std::string who, const Endpoints& endpoints, std::string subscribe_endpoint,
            std::chrono::milliseconds connect_timeout)
      : who_(std::move(who)), address_(endpoints.address()), endpoint_(std::move(subscribe_endpoint)),
        give_up_(connect_timeout.count() > 0 ? Clock::now() + connect_timeout : Clock::time_point::max()) {}

  /// Call after each wait on the subscription with its connected(). Prints a line to stderr when
  /// a connection that was up goes down or comes back. Returns false when none was ever up
  /// within the connect timeout: the caller prints unreachable() and exits.
  bool update(bool connected) {
    if (connected && !ever_) {
      ever_ = true;
      up_ = true;
      return true;
    }
    if (ever_ && connected != up_) {
      up_ = connected;
      if (connected)
        std::cerr << who_ << ": connected to the broker at " << endpoint_ << " again\n";
      else
        std::cerr << who_ << ": lost the connection to the broker at " << endpoint_ << "; waiting for it\n";
    }
    return ever_ || Clock::now() < give_up_;
  }

  /// Whether a connection was ever up.
  bool ever_connected() const noexcept { return ever_; }

  /// The message for a port nothing accepted a connection on.
  std::string unreachable() const {
    return who_ + ": nothing accepts connections at " + endpoint_ +
           " (the broker's port for logs and status); is a roc broker running at " + address_ + "?";
  }

 private:
  std::string who_, address_, endpoint_;
  Clock::time_point give_up_;
  bool ever_ = false;
  bool up_ = false;
};

}  // namespace roc::cli
