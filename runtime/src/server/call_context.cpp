// roc::CallContext, the call state behind it, and the per-thread pointer the worker sets around
// each call.
#include "server/call_scope.hpp"
#include "server/call_state.hpp"

#include "wire/jsonrpc.hpp"
#include "roc/error.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace roc {
namespace {
thread_local CallContext* current_context = nullptr;
// Per thread: current() hands out a mutable reference, and an empty context has no state to share.
thread_local CallContext no_call;

// {"fraction":..,"message":..,"data":..}, each member left out when absent (PROTOCOL §2.6).
std::string progress_body(std::optional<double> fraction, std::string_view message, const Json* data) {
  rapidjson::StringBuffer buffer;
  detail::jsonrpc::Writer w(buffer);
  w.StartObject();
  if (fraction && std::isfinite(*fraction)) {
    w.Key("fraction");
    w.Double(std::clamp(*fraction, 0.0, 1.0));
  }
  if (!message.empty()) {
    w.Key("message");
    const auto text = detail::jsonrpc::valid_utf8(message);  // a method's text may be anything
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  if (data != nullptr && !data->value().IsNull()) {
    w.Key("data");
    // The writer refuses NaN and infinity (and stops halfway): then the event goes without data.
    rapidjson::StringBuffer probe;
    detail::jsonrpc::Writer check(probe);
    if (data->value().Accept(check)) w.RawValue(probe.GetString(), probe.GetSize(), rapidjson::kObjectType);
    else w.Null();
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}
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

bool CallContext::cancelled() const noexcept {
  return state_ && state_->cancelled.load(std::memory_order_acquire);
}

void CallContext::throw_if_cancelled() const {
  if (!cancelled()) return;
  throw Cancelled(object_id_.empty()
                      ? std::string("cancelled: the caller cancelled the call")
                      : "cancelled: the caller cancelled the call to '" + std::string(object_id_) + "'");
}

bool CallContext::wait_cancelled(std::chrono::nanoseconds timeout) const {
  if (state_) return state_->wait_cancelled(timeout);
  // No call behind it: nothing can cancel, so it waits like the sleep it replaces.
  std::this_thread::sleep_for(timeout);
  return false;
}

void CallContext::on_cancel(std::function<void()> callback) const {
  if (state_ && callback) state_->on_cancel(std::move(callback));
}

bool CallContext::wants_progress() const noexcept { return state_ && state_->send_progress; }

void CallContext::progress(std::optional<double> fraction, std::string_view message) const {
  if (!wants_progress()) return;  // before any formatting: free when nobody looks
  state_->progress(progress_body(fraction, message, nullptr));
}

void CallContext::progress(std::optional<double> fraction, std::string_view message, const Json& data) const {
  if (!wants_progress()) return;
  state_->progress(progress_body(fraction, message, &data));
}

namespace detail {

CallScope::CallScope(CallContext& context) noexcept : previous_(current_context) {
  current_context = &context;
}

CallScope::~CallScope() { current_context = previous_; }

void ServerCallState::cancel() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_ || cancelled.load()) return;
    cancelled.store(true, std::memory_order_release);
    callbacks.swap(callbacks_);
    running_callbacks_ = !callbacks.empty();
  }
  changed_.notify_all();
  if (callbacks.empty()) return;
  for (auto& callback : callbacks) {
    try {
      callback();
    } catch (...) {
      // A callback that throws must not take the thread that received the cancel with it.
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_callbacks_ = false;
  }
  changed_.notify_all();
}

void ServerCallState::end() {
  std::unique_lock<std::mutex> lock(mutex_);
  ended_ = true;
  callbacks_.clear();
  changed_.wait(lock, [&] { return !running_callbacks_; });
}

void ServerCallState::on_cancel(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    if (!cancelled.load()) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();  // cancelled already: what the callback reacts to has happened
}

bool ServerCallState::wait_cancelled(std::chrono::nanoseconds timeout) {
  if (cancelled.load(std::memory_order_acquire)) return true;
  // A "forever" of nanoseconds::max() would overflow the clock arithmetic inside wait_for.
  timeout = std::min<std::chrono::nanoseconds>(timeout, std::chrono::hours(24 * 365));
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return cancelled.load(); });
}

void ServerCallState::progress(std::string_view body) {
  // Under the mutex: end() cannot pass while an event is on its way, so none follows the reply.
  std::lock_guard<std::mutex> lock(mutex_);
  if (!ended_) send_progress(body);
}

}  // namespace detail
}  // namespace roc
