// An annotated stage with long calls: methods taking a roc::CallContext, which roc-gen leaves out
// of the IDL params and the proxy, marks progress/cancellable, and gives a start_<name> form.
#pragma once

#include <roc/annotate.hpp>
#include <roc/call_context.hpp>
#include <roc/error.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace long_calls {

class ROC_OBJECT Stage {
 public:
  /// Takes `frames` exposures of a millisecond each, reporting each one.
  ROC_METHOD std::vector<double> exposures(std::int32_t frames, roc::CallContext& ctx) {
    std::vector<double> means;
    for (std::int32_t i = 0; i < frames; ++i) {
      if (ctx.wait_cancelled(std::chrono::milliseconds(1))) throw roc::Cancelled();
      means.push_back(i * 0.5);
      ctx.progress(double(i + 1) / frames, "frame " + std::to_string(i + 1));
    }
    return means;
  }
  /// Waits up to `ms` for the caller to cancel.
  ROC_METHOD std::string home(const roc::CallContext& ctx, std::int32_t ms) {
    if (ctx.wait_cancelled(std::chrono::milliseconds(ms))) {
      ++stopped;
      ctx.throw_if_cancelled();
    }
    return "home";
  }
  ROC_METHOD std::int32_t plain(std::int32_t x) const { return x; }

  std::atomic<int> stopped{0};
};

}  // namespace long_calls
