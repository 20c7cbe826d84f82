// Makes a CallContext the current one of this thread while a call runs.
#pragma once

#include "roc/call_context.hpp"

namespace roc::detail {

/// For its lifetime, CallContext::current() on this thread is `context` (which must outlive it).
class CallScope {
 public:
  explicit CallScope(CallContext& context) noexcept;
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  CallContext* previous_;
};

}  // namespace roc::detail
