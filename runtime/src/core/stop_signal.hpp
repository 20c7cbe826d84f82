// SIGINT/SIGTERM as a stop request that a run() loop can wait on (whatever thread gets the signal).
#pragma once

#include <chrono>

namespace roc::detail {

/// While alive, SIGINT and SIGTERM set a flag instead of ending the process; the previous
/// handlers come back on destruction. Signals are process-wide, so the flag is too; one
/// StopSignal at a time is the intended use (nested ones restore correctly, in LIFO order).
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  /// Whether a signal arrived since construction.
  bool received() const noexcept;
  /// Waits up to `timeout` for a signal; returns received().
  bool wait_for(std::chrono::milliseconds timeout) const;

 private:
  struct Saved;
  Saved* saved_;
};

}  // namespace roc::detail
