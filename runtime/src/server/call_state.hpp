// What a running call shares between the method (through its CallContext) and the worker that
// runs it: the caller's cancel and the way back for progress events (idl/PROTOCOL.md §2.6).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

namespace roc::detail {

/// One per call that has a name (`call=N` in its header); shared with the method's context, which
/// may outlive the call in a helper thread the method started.
///
/// Lock order: a thread holding `mutex` may take the worker's socket mutex (to send progress);
/// never the other way round — the keeper applies a cancel after it released the socket.
///
/// Not named `CallState`: the client has a detail::CallState of its own, and two classes of one
/// name in one program break the one-definition rule.
struct ServerCallState {
  /// Sends one PROGRESS body to the caller; never blocks. Set only when the caller asked.
  using ProgressSender = std::function<void(std::string_view body)>;

  explicit ServerCallState(ProgressSender progress_sender = {}) : send_progress(std::move(progress_sender)) {}

  /// The caller cancelled: sets the flag, wakes wait_cancelled, runs the on_cancel callbacks on
  /// this thread. Only the first cancel of a call that has not ended does anything.
  void cancel();
  /// The call ended: callbacks are dropped, progress goes nowhere. Waits for callbacks that a
  /// cancel is running right now, since they may refer to the method's stack.
  void end();
  /// Runs `callback` at once when the call is cancelled already, keeps it otherwise.
  void on_cancel(std::function<void()> callback);
  bool wait_cancelled(std::chrono::nanoseconds timeout);
  /// Sends a progress event unless the call has ended (so none follows the reply).
  void progress(std::string_view body);

  std::atomic<bool> cancelled{false};
  const ProgressSender send_progress;  // empty: the caller did not ask for progress

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::function<void()>> callbacks_;  // guarded by mutex_
  bool ended_ = false;                            // guarded by mutex_
  bool running_callbacks_ = false;                // guarded by mutex_
};

}  // namespace roc::detail
