// What `roc logs`, `roc status` and roc-logdump tell the operator about their connection to the
// broker's subscribe port: that the broker is unreachable (exit 9), or, once it was up, that it
// was lost and that it is back — one line each.
#pragma once

#include <roc/error.hpp>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <string>

namespace roc::cli {

class LinkWatch {
 public:
  using Clock = std::chrono::steady_clock;
  /// How long a watcher waits for the first connection.
  enum class Patience {
    first_failure,    ///< gives up when an attempt fails, or at the connect timeout (the CLI)
    connect_timeout,  ///< says once that the broker is unreachable, gives up at the timeout (roc-logdump)
  };

  /// `who` prefixes every line (`roc logs`); `subscribe_endpoint` is the subscription's.
  /// `connect_timeout` zero: never give up.
  LinkWatch(std::string who, std::string subscribe_endpoint, std::chrono::milliseconds connect_timeout,
            Patience patience)
      : who_(std::move(who)), endpoint_(std::move(subscribe_endpoint)), connect_timeout_(connect_timeout),
        give_up_(connect_timeout.count() > 0 ? Clock::now() + connect_timeout : Clock::time_point::max()),
        patience_(patience) {}

  /// Call after each wait on the subscription with its connected() and link_failure(). Prints a
  /// line to stderr when a connection that was up goes down or comes back. Throws
  /// BrokerUnreachable when none was ever up and the watcher's patience is at its end.
  void update(bool connected, const std::string& failure) {
    if (connected && !ever_) {
      ever_ = true;
      up_ = true;
      if (told_unreachable_) std::cerr << who_ << ": connected to the broker at " << endpoint_ << '\n';
      return;
    }
    if (ever_ && connected != up_) {
      up_ = connected;
      if (connected)
        std::cerr << who_ << ": connected to the broker at " << endpoint_ << " again\n";
      else
        std::cerr << who_ << ": lost the connection to the broker at " << endpoint_ << "; waiting for it\n";
    }
    if (ever_) return;
    if (!failure.empty() && patience_ == Patience::first_failure) throw BrokerUnreachable(endpoint_, failure);
    if (Clock::now() >= give_up_) throw unreachable(failure);
    if (!failure.empty() && !told_unreachable_) {
      told_unreachable_ = true;
      const auto wait = connect_timeout_.count() > 0 ? fmt::format("up to {:g} s", connect_timeout_.count() / 1000.0)
                                                     : std::string("for it");
      std::cerr << who_ << ": " << BrokerUnreachable(endpoint_, failure).what() << "; waiting " << wait
                << '\n';
    }
  }

  /// Whether a connection was ever up.
  bool ever_connected() const noexcept { return ever_; }

  /// The error for a broker no connection was made to: `failure` says why, when known.
  BrokerUnreachable unreachable(const std::string& failure = {}) const {
    if (!failure.empty()) return BrokerUnreachable(endpoint_, failure);
    return BrokerUnreachable(endpoint_, "no connection within " + std::to_string(connect_timeout_.count()) + " ms");
  }

 private:
  std::string who_, endpoint_;
  std::chrono::milliseconds connect_timeout_;
  Clock::time_point give_up_;
  Patience patience_;
  bool ever_ = false;
  bool up_ = false;
  bool told_unreachable_ = false;
};

}  // namespace roc::cli
