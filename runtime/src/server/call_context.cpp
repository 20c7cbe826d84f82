// roc::CallContext and the per-thread pointer the worker sets around each call.
#include "server/call_scope.hpp"

#include <algorithm>

namespace roc {
namespace {
thread_local CallContext* current_context = nullptr;
// Per thread: current() hands out a mutable reference, and an empty context has no state to share.
thread_local CallContext no_call;
}  // namespace

CallContext& CallContext::current() noexcept {
  return current_context != nullptr ? *current_context : no_call;
}

std::optional<std::chrono::milliseconds> CallContext::remaining() const noexcept {
  if (!deadline_) return std::nullopt;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

bool CallContext::expired() const noexcept { return deadline_ && Clock::now() >= *deadline_; }

namespace detail {

CallScope::CallScope(CallContext& context) noexcept : previous_(current_context) {
  current_context = &context;
}

CallScope::~CallScope() { current_context = previous_; }

}  // namespace detail
}  // namespace roc
