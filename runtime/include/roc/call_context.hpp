// roc::CallContext: what a method can learn about the call it is running — for now, how long
// the caller still waits for the reply. Later versions add progress and cancellation here.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace roc {

namespace detail {
class CallScope;
}

/// The context of one call. Inside a published method, CallContext::current() is the call that
/// method is serving; anywhere else it is an empty context (no object, no deadline), so code
/// that reads it can also run outside roc (in unit tests, from main()).
///
///     void Camera::acquire(int frames) {
///       for (int i = 0; i < frames; ++i) {
///         if (roc::CallContext::current().expired()) throw std::runtime_error("caller gave up");
///         grab_one();
///       }
///     }
class CallContext {
 public:
  using Clock = std::chrono::steady_clock;

  /// The context of the call running on this thread, or an empty one outside a call.
  /// The reference stays valid until the method returns.
  static const CallContext& current() noexcept;

  CallContext() = default;
  CallContext(std::string_view object_id, std::optional<Clock::time_point> deadline) noexcept
      : object_id_(object_id), deadline_(deadline) {}

  /// The id the call was addressed to; empty outside a call.
  std::string_view object_id() const noexcept { return object_id_; }
  /// When the caller stops waiting for the reply (its timeout, counted from when this server
  /// received the request); none when the caller sent no timeout (PROTOCOL §2.5).
  std::optional<Clock::time_point> deadline() const noexcept { return deadline_; }
  /// Time left until the deadline, zero once it has passed; none without a deadline.
  std::optional<std::chrono::milliseconds> remaining() const noexcept;
  /// Whether the deadline has passed: the caller has stopped waiting and the reply will be dropped.
  bool expired() const noexcept;

 private:
  std::string_view object_id_;
  std::optional<Clock::time_point> deadline_;
};

}  // namespace roc
