// Signal-to-flag bridge: the handler only stores to a lock-free atomic, which is async-signal-safe.
#include "core/stop_signal.hpp"

#include <atomic>
#include <csignal>
#include <thread>

namespace roc::detail {
namespace {
std::atomic<bool> signalled{false};
static_assert(std::atomic<bool>::is_always_lock_free);
extern "C" void on_stop_signal(int) { signalled.store(true); }
}  // namespace

struct StopSignal::Saved {
  struct sigaction interrupt{}, terminate{};
};

StopSignal::StopSignal() : saved_(new Saved) {
  signalled.store(false);
  struct sigaction action{};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &saved_->interrupt);
  sigaction(SIGTERM, &action, &saved_->terminate);
}

StopSignal::~StopSignal() {
  sigaction(SIGINT, &saved_->interrupt, nullptr);
  sigaction(SIGTERM, &saved_->terminate, nullptr);
  delete saved_;
}

bool StopSignal::received() const noexcept { return signalled.load(); }

bool StopSignal::wait_for(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!received() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return received();
}

}  // namespace roc::detail
