// roc::CallContext: what a method can learn about, and tell, the call it is running — how long
// the caller still waits, whether it cancelled, and how far the call has got (idl/PROTOCOL.md §2.6).
#pragma once

#include "roc/json.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace roc {

namespace detail {
class CallScope;
struct ServerCallState;
}  // namespace detail

/// The context of one call. A published method gets it by taking a `roc::CallContext&` (or
/// `const roc::CallContext&`) parameter, which the binding and roc-gen fill in and which never
/// appears on the wire or in the proxy; or, anywhere inside the call, from CallContext::current().
/// Outside a call it is an empty context (no object, no deadline, never cancelled, progress goes
/// nowhere), so code that uses it also runs outside roc (in unit tests, from main()).
///
///     std::vector<double> Camera::exposure_series(int frames, std::chrono::milliseconds each,
///                                                 roc::CallContext& ctx) {
///       std::vector<double> means;
///       for (int i = 0; i < frames; ++i) {
///         if (ctx.wait_cancelled(each)) throw roc::Cancelled();
///         means.push_back(grab_one());
///         ctx.progress(double(i + 1) / frames, fmt::format("frame {} of {}", i + 1, frames));
///       }
///       return means;
///     }
///
/// Thread safety: all members may be called from any thread while the call runs (a method may
/// hand the context to a helper thread); the reference is valid until the method returns.
class CallContext {
 public:
  using Clock = std::chrono::steady_clock;

  /// The context of the call running on this thread, or an empty one outside a call.
  static CallContext& current() noexcept;

  /// An empty context.
  CallContext() = default;
  /// A context with this id and deadline and nothing else: no cancel, no progress.
  CallContext(std::string_view object_id, std::optional<Clock::time_point> deadline) noexcept
      : object_id_(object_id), deadline_(deadline) {}
  /// A context of a call the server runs: `state` carries cancellation and progress.
  CallContext(std::string_view object_id, std::optional<Clock::time_point> deadline,
              std::shared_ptr<detail::ServerCallState> state) noexcept
      : object_id_(object_id), deadline_(deadline), state_(std::move(state)) {}

  /// The id the call was addressed to; empty outside a call.
  std::string_view object_id() const noexcept { return object_id_; }
  /// When the caller stops waiting for the reply (its timeout, counted from when this server
  /// received the request); none when the caller sent no timeout (PROTOCOL §2.5).
  std::optional<Clock::time_point> deadline() const noexcept { return deadline_; }
  /// Time left until the deadline, zero once it has passed; none without a deadline.
  std::optional<std::chrono::milliseconds> remaining() const noexcept;
  /// Whether the deadline has passed: the caller has stopped waiting and the reply will be dropped.
  bool expired() const noexcept;

  /// Whether the caller cancelled the call (PROTOCOL §2.6). Cheap (one atomic load): poll it
  /// between the steps of a long operation.
  bool cancelled() const noexcept;
  /// Throws roc::Cancelled (the caller gets -32008) when the call was cancelled.
  void throw_if_cancelled() const;
  /// Waits up to `timeout` for a cancel; true as soon as the call is cancelled, false when the
  /// time ran out. A method that waits on hardware (an exposure, a move) waits here instead of
  /// sleeping, and so reacts to a cancel at once.
  bool wait_cancelled(std::chrono::nanoseconds timeout) const;
  /// Runs `callback` once when the call is cancelled — at once, on roc's thread that received the
  /// cancel, so keep it short (tell the hardware to stop) — or never. The callback is dropped when
  /// the call ends. For a context with no call behind it, it never runs. Registered after the
  /// cancel came, it runs at once on the calling thread. When the call ends while it runs, the
  /// worker waits for it before replying, so it may refer to the method's locals.
  void on_cancel(std::function<void()> callback) const;

  /// Whether the caller asked for progress events. Reporting costs nothing when it did not.
  bool wants_progress() const noexcept;
  /// Reports how far the call has got: `fraction` from 0 to 1 (none: unknown), a short message,
  /// and optionally any JSON value (an intermediate result). Events go to the caller through the
  /// broker, in order and before the reply; when the caller reads them slower than they come,
  /// some are dropped (never the reply). A no-op when the caller did not ask for progress.
  void progress(std::optional<double> fraction, std::string_view message = {}) const;
  void progress(std::optional<double> fraction, std::string_view message, const Json& data) const;

 private:
  std::string_view object_id_;
  std::optional<Clock::time_point> deadline_;
  std::shared_ptr<detail::ServerCallState> state_;
};

}  // namespace roc
