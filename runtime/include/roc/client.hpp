// roc::Client: calls objects through the broker — dynamically by name (ObjectHandle) or through
// generated typed proxies (client.proxy<T>(id)).
#pragma once

#include "roc/attachment.hpp"
#include "roc/endpoints.hpp"
#include "roc/error.hpp"
#include "roc/json.hpp"
#include "roc/presence.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace roc {

/// How a client calls.
struct ClientOptions {
  /// Default timeout of every call; ObjectHandle::with_timeout overrides it per handle.
  std::chrono::milliseconds timeout{2000};
  /// A parameter value of at least this many bytes (a vector or array of numbers, roc::Bytes,
  /// roc::NdArray) goes as a binary frame instead of JSON (idl/PROTOCOL.md §3.3). 0 sends every
  /// such value as an attachment; SIZE_MAX none (for a third-party broker in front of workers that
  /// read only JSON: roc's broker converts by itself).
  std::size_t attachment_min_bytes = 1024;
};

class ObjectHandle;

/// How far a long call has got, as its method reported it (idl/PROTOCOL.md §2.6).
struct Progress {
  std::optional<double> fraction;  ///< 0 to 1; none: unknown
  std::string message;             ///< a short text for a person; may be empty
  Json data;                       ///< an intermediate value; null: none
};

/// How ObjectHandle::start runs a call.
struct CallOptions {
  /// Set: asks for progress and runs for each event, in order, before the outcome. It runs on the
  /// client's I/O thread: keep it short, and do not wait there for this or another call.
  std::function<void(const Progress&)> on_progress;
  /// Asks for progress to read with PendingCall::next_progress.
  bool progress = false;
  /// Default: the handle's timeout(). When it passes, the call is cancelled and fails with
  /// TimeoutError.
  std::optional<std::chrono::milliseconds> timeout;
};

/// An argument the remote method may change (a non-const reference parameter on the server):
/// ObjectHandle::call sends its current value and, after the reply, decodes the result's member
/// `name` back into `ref`. Make one with roc::inout().
template <class T>
struct InOut {
  std::string_view name;  ///< the method's parameter name, which keys its value in the result
  T& ref;
};

/// `dev.call<bool>("read_line", roc::inout("line", line))`: `line` goes out and comes back.
template <class T>
InOut<T> inout(std::string_view name, T& ref) {
  static_assert(!std::is_const_v<T>, "roc::inout needs a variable it can write the new value into");
  return {name, ref};
}

/// Generated code specializes this so that `client.proxy<lab::Camera>(id)` returns the proxy:
///     template <> struct roc::ProxyFor<lab::Camera> { using type = lab::CameraProxy; };
template <class T>
struct ProxyFor;

namespace detail {

class ClientCore;

/// Call params: the JSON and the values its references send as attachments.
/// Made per call: the JSON of small params lives in the object (on the caller's stack).
struct Params {
  explicit Params(std::size_t attachment_min_bytes) : attachments(attachment_min_bytes) {}
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;

 private:
  json::InlinePool<1024> pool_;

 public:
  json::Document json{&pool_.get()};
  AttachmentSink attachments;
};

/// Parameter values this large go as attachments (ClientOptions::attachment_min_bytes).
std::size_t attachment_min_bytes(const ClientCore& core) noexcept;

/// Sends one JSON-RPC request and waits for its response; returns the whole response document
/// when it holds a result, throws RemoteError (or a subclass) when it holds an error, TimeoutError
/// when nothing came in time, ProtocolError when the reply is not a JSON-RPC response.
/// `params` may be null (no params member); `attachments` are the frames its references name.
/// With `reply_attachments`, the request asks for attachments and the reply's land there; else
/// every value comes back as plain JSON.
Json call(ClientCore& core, const std::string& object_id, std::string_view method, const json::Value* params,
          std::chrono::milliseconds timeout, std::vector<OutgoingAttachment>* attachments = nullptr,
          AttachmentSource* reply_attachments = nullptr);

/// Like call(), but returns at once; exactly one of the callbacks runs later, on the client's
/// I/O thread (keep them short). `on_result` receives the response's result member, with the
/// reply's attachments in effect for decoding.
void call_async(ClientCore& core, const std::string& object_id, std::string_view method, Params& params,
                std::chrono::milliseconds timeout, std::function<void(const json::Value& result)> on_result,
                std::function<void(std::exception_ptr)> on_error);

/// Sends a notification (no id): nothing comes back, errors included. It is dropped unrun when
/// it has waited `timeout` for the object (at the broker or the worker).
void notify(ClientCore& core, const std::string& object_id, std::string_view method, Params& params,
            std::chrono::milliseconds timeout);

template <class A>
struct is_inout : std::false_type {};
template <class T>
struct is_inout<InOut<T>> : std::true_type {};
template <class... A>
inline constexpr bool any_inout_v = (is_inout<A>::value || ...);

/// What travels for an argument: an in/out one's current value, any other as is.
template <class A>
const A& wire_value(const A& arg) {
  return arg;
}
template <class T>
const T& wire_value(const InOut<T>& arg) {
  return arg.ref;
}

/// Encodes call arguments as a positional params array; bulk values become attachments.
template <class... A>
void encode_params(Params& params, const A&... args) {
  const SinkScope scope(&params.attachments);
  json::Document& doc = params.json;
  doc.SetArray();
  auto& a = doc.GetAllocator();
  doc.Reserve(sizeof...(A), a);
  [[maybe_unused]] auto push = [&](const auto& arg) {
    json::Value v;
    json::encode(wire_value(arg), v, a);
    doc.PushBack(v, a);
  };
  (push(args), ...);
}

template <class R>
R result_as(const json::Value& result) {
  if constexpr (std::is_void_v<R>) {
    (void)result;
  } else {
    try {
      return json::decode_as<R>(result);
    } catch (const json::DecodeError& error) {
      throw ProtocolError(std::string("the result does not fit the expected type: ") + error.what());
    }
  }
}

/// Member `name` of the result of a call with in/out arguments; ProtocolError when the result is
/// not an object or lacks the member.
const json::Value& inout_member(const json::Value& result, std::string_view method, std::string_view name);

/// Where an in/out argument's new value waits until every part of the result has decoded.
struct NotInOut {};
template <class A>
struct inout_value {
  using type = NotInOut;
};
template <class T>
struct inout_value<InOut<T>> {
  using type = T;
};

template <class A>
void read_inout([[maybe_unused]] const json::Value& result, [[maybe_unused]] std::string_view method,
                [[maybe_unused]] const A& arg, [[maybe_unused]] typename inout_value<A>::type& value) {
  if constexpr (is_inout<A>::value) {
    try {
      json::decode(inout_member(result, method, arg.name), value);
    } catch (const json::DecodeError& error) {
      throw ProtocolError("in/out argument '" + std::string(arg.name) + "' of '" + std::string(method) +
                          "' came back in a form that does not fit its type: " + error.what());
    }
  }
}

template <class A>
void write_back([[maybe_unused]] const A& arg, [[maybe_unused]] typename inout_value<A>::type& value) {
  if constexpr (is_inout<A>::value) arg.ref = std::move(value);
}

/// Decodes the result object of a call with in/out arguments: R from "return", each InOut from
/// its name. Writes into the caller's variables only once everything decoded, so a bad reply
/// leaves them as they were.
template <class R, class... A>
R inout_result(const json::Value& result, std::string_view method, const A&... args) {
  std::tuple<typename inout_value<A>::type...> values;
  std::apply([&](auto&... value) { (read_inout(result, method, args, value), ...); }, values);
  const json::Value& returned = inout_member(result, method, "return");
  if constexpr (std::is_void_v<R>) {
    (void)returned;
    std::apply([&](auto&... value) { (write_back(args, value), ...); }, values);
  } else {
    R r = result_as<R>(returned);
    std::apply([&](auto&... value) { (write_back(args, value), ...); }, values);
    return r;
  }
}

struct CallState;

/// The untyped part of a PendingCall (runtime/src/client/client.cpp).
class StartedCall {
 public:
  explicit StartedCall(std::shared_ptr<CallState> state) : state_(std::move(state)) {}
  bool wait_for(std::chrono::milliseconds wait) const;
  void cancel();
  std::optional<Progress> next_progress(std::chrono::milliseconds wait);
  /// Waits for the outcome: the response's result member, or throws the call's error.
  const json::Value& result();
  /// The reply's attachments, which the result's references name.
  AttachmentSource& attachments();

 private:
  CallState& state() const;
  std::shared_ptr<CallState> state_;
};

/// Sends the call through the client's I/O thread and returns its state.
StartedCall start_call(const std::shared_ptr<ClientCore>& core, const std::string& object_id, std::string_view method,
                       const json::Value* params, std::vector<OutgoingAttachment>& attachments, CallOptions options,
                       std::chrono::milliseconds timeout);

}  // namespace detail

/// A result as the wire carried it: JSON whose bulk values may be references to attachments
/// (idl/PROTOCOL.md §3.3), and the attachments they name. For tools that show or save results of
/// any type, such as `roc call`.
class RawResult {
 public:
  RawResult(Json json, detail::AttachmentSource attachments)
      : json_(std::move(json)), attachments_(std::move(attachments)) {}
  /// The result; bulk values may be `{"$attachment": i, "type", "order", "shape"}`.
  const Json& json() const noexcept { return json_; }
  /// The bytes of attachment `i` (`i` < attachment_count()).
  std::string_view attachment(std::size_t i) const noexcept {
    auto& a = attachments_[i];
    return {static_cast<const char*>(a.data), a.size};
  }
  std::size_t attachment_count() const noexcept { return attachments_.size(); }
  /// An attachment as a reference in json() names it.
  struct Array {
    std::string type;                ///< IDL element type: int8 … uint64, float, double
    std::string order;               ///< byte order of `bytes`: "little" or "big"
    std::vector<std::size_t> shape;  ///< dimensions, outermost first; row-major elements
    std::string_view bytes;          ///< the frame, valid while this RawResult lives
  };
  /// The attachment that `reference` (a `$attachment` object inside json()) names, checked against
  /// its frame as every receiver checks it; throws json::DecodeError saying what does not fit.
  Array array(const json::Value& reference) const;
  /// The result decoded as T; throws json::DecodeError.
  template <class T>
  T as() const {
    const detail::SourceScope scope(&attachments_);
    return json_.as<T>();
  }
  /// The result with every reference written out as plain JSON (arrays; nested for more than one
  /// dimension): what a peer that asked for no attachments gets. Throws json::DecodeError.
  Json plain() const;

 private:
  Json json_;
  mutable detail::AttachmentSource attachments_;
};

/// A call under way, made by ObjectHandle::start: wait for it, watch its progress, cancel it.
/// Movable, not copyable; thread-safe. Dropping it neither waits for nor cancels the call.
template <class R>
class PendingCall {
 public:
  PendingCall(PendingCall&&) noexcept = default;
  PendingCall& operator=(PendingCall&&) noexcept = default;
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  /// Waits for the outcome and returns the result; throws like ObjectHandle::call(), and
  /// roc::Cancelled (-32008) once cancel() took effect. Call it once.
  R get() {
    const json::Value& result = call_.result();
    if constexpr (std::is_same_v<R, RawResult>) {
      return RawResult(Json::from(result), std::move(call_.attachments()));
    } else {
      const detail::SourceScope scope(&call_.attachments());
      return detail::result_as<R>(result);
    }
  }
  /// Whether the outcome is there, waiting up to `wait` for it.
  bool wait_for(std::chrono::milliseconds wait) const { return call_.wait_for(wait); }
  /// Asks the broker to cancel the call (idl/PROTOCOL.md §2.6): a queued call never runs, a
  /// running method is told. get() then throws roc::Cancelled — or returns the result when the
  /// call finished first. Idempotent; nothing happens once the outcome is there.
  void cancel() { call_.cancel(); }
  /// The next progress event (with CallOptions::progress), waiting up to `wait`; nullopt when
  /// none came within `wait`, or the call has ended and every event was read. Holds the latest
  /// 1024 events: older ones are dropped when they are not read in time.
  std::optional<Progress> next_progress(std::chrono::milliseconds wait) { return call_.next_progress(wait); }

 private:
  friend class ObjectHandle;
  explicit PendingCall(detail::StartedCall call) : call_(std::move(call)) {}
  detail::StartedCall call_;
};

/// A named remote object. Cheap to copy; copies share the client. Thread-safe.
/// Every call has a timeout (the client's default unless with_timeout() set another).
class ObjectHandle {
 public:
  ObjectHandle(std::shared_ptr<detail::ClientCore> core, std::string id, std::chrono::milliseconds timeout)
      : core_(std::move(core)), id_(std::move(id)), timeout_(timeout) {}

  const std::string& id() const noexcept { return id_; }
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  /// A handle to the same object whose calls use `timeout`.
  ObjectHandle with_timeout(std::chrono::milliseconds timeout) const {
    ObjectHandle copy = *this;
    copy.timeout_ = timeout;
    return copy;
  }

  /// Calls `method` with positional arguments and converts the result to R (roc::Json: as is).
  /// Arguments made with roc::inout() also come back: R is then the result's "return" member and
  /// each in/out variable receives the member of its name (idl/PROTOCOL.md §3.2).
  /// Throws RemoteError (code, message, data), ObjectNotFound, TimeoutError, ProtocolError.
  template <class R = Json, class... A>
  R call(std::string_view method, const A&... args) const {
    verify_signature();
    detail::Params params(detail::attachment_min_bytes(*core_));
    detail::encode_params(params, args...);
    detail::AttachmentSource attachments;
    Json reply = detail::call(*core_, id_, method, &params.json, timeout_, &params.attachments.items(), &attachments);
    const detail::SourceScope scope(&attachments);
    if constexpr (detail::any_inout_v<A...>)
      return detail::inout_result<R>(reply.value()["result"], method, args...);
    else
      return detail::result_as<R>(reply.value()["result"]);
  }

  /// Calls with params given as JSON (an array for positional, an object for named ones). The
  /// result is plain JSON too: bulk values come as arrays, never as attachments.
  Json call_json(std::string_view method, const Json& params) const {
    verify_signature();
    const json::Value* p = params.value().IsNull() ? nullptr : &params.value();
    Json reply = detail::call(*core_, id_, method, p, timeout_);
    return Json::from(reply.value()["result"]);
  }

  /// Calls with params given as JSON, asking for attachments: bulk values of the result come as
  /// binary frames, with references to them in the JSON.
  RawResult call_raw(std::string_view method, const Json& params) const;

  /// Like call(), without waiting: the future holds the result or the exception.
  template <class R = Json, class... A>
  std::future<R> call_async(std::string_view method, const A&... args) const {
    static_assert(!detail::any_inout_v<A...>,
                  "call_async cannot take roc::inout arguments: a future cannot write into the caller's "
                  "variables later; use call()");
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    try {
      verify_signature();
      detail::Params params(detail::attachment_min_bytes(*core_));
      detail::encode_params(params, args...);
      detail::call_async(
          *core_, id_, method, params, timeout_,
          [promise](const json::Value& result) {
            try {
              if constexpr (std::is_void_v<R>) {
                promise->set_value();
              } else {
                promise->set_value(detail::result_as<R>(result));
              }
            } catch (...) {
              promise->set_exception(std::current_exception());
            }
          },
          [promise](std::exception_ptr error) { promise->set_exception(error); });
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
    return future;
  }

  /// Starts `method` without waiting, for long calls: the PendingCall gives the result, the
  /// method's progress (see CallOptions) and a way to cancel it. Throws at once only what keeps
  /// the call from being sent (SignatureMismatch of a proxy, an argument that does not encode).
  template <class R = Json, class... A>
  PendingCall<R> start(std::string_view method, CallOptions options, const A&... args) const {
    static_assert(!detail::any_inout_v<A...>,
                  "start cannot take roc::inout arguments: the call cannot write into the caller's variables "
                  "later; use call()");
    verify_signature();
    detail::Params params(detail::attachment_min_bytes(*core_));
    detail::encode_params(params, args...);
    return PendingCall<R>(detail::start_call(core_, id_, method, &params.json, params.attachments.items(),
                                             std::move(options), timeout_));
  }

  /// start() with params given as JSON (as call_raw takes them); the result comes as call_raw's.
  PendingCall<RawResult> start_raw(std::string_view method, const Json& params, CallOptions options) const;

  /// One-way call: returns once sent; the method's result and errors are not reported. Like a
  /// call, it is dropped unrun if it cannot start within this handle's timeout(), so a flood of
  /// notifications to a slow object cannot queue forever.
  template <class... A>
  void notify(std::string_view method, const A&... args) const {
    static_assert(!detail::any_inout_v<A...>,
                  "notify cannot take roc::inout arguments: nothing comes back from a notification; use call()");
    detail::Params params(detail::attachment_min_bytes(*core_));
    detail::encode_params(params, args...);
    detail::notify(*core_, id_, method, params, timeout_);
  }

  /// Reads property `name` (rpc.get).
  template <class R = Json>
  R get(std::string_view name) const {
    return call<R>("rpc.get", name);
  }
  /// Writes property `name` (rpc.set); a read-only property throws RemoteError -32003.
  template <class V>
  void set(std::string_view name, const V& value) const {
    call<void>("rpc.set", name, value);
  }
  /// The object's interface (rpc.describe).
  Json describe() const { return call<Json>("rpc.describe"); }
  /// Round trip through the broker to the object; throws like call().
  void ping() const { call<void>("rpc.ping"); }

  /// Makes this handle check, once, that the object's interface signature (rpc.signature) is
  /// `hash`; a different one throws SignatureMismatch naming the object. Generated proxies call
  /// it so a proxy built from an older header fails clearly instead of answering wrongly.
  void expect_signature(std::string hash) {
    if (signature_ && signature_->expected == hash) return;  // copies share one check
    signature_ = std::make_shared<SignatureCheck>();
    signature_->expected = std::move(hash);
  }

 private:
  struct SignatureCheck {
    std::string expected;
    std::atomic<bool> verified{false};
  };
  void verify_signature() const {
    if (signature_ && !signature_->verified.load(std::memory_order_acquire)) check_signature();
  }
  void check_signature() const;

  std::shared_ptr<detail::ClientCore> core_;
  std::string id_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<SignatureCheck> signature_;
};

/// Calls objects through the broker. Thread-safe: share one client between threads; many calls
/// may be in flight at once. After a broker restart the same client works again by itself.
///
/// Sync calls go out on a socket of the calling thread (made on its first call, kept for the
/// client's lifetime and reused when the system reuses the thread's id), so they cost no thread
/// hop; async calls and their callbacks run on one I/O thread. Destroy the client only after
/// every call made through it has returned; pending futures then fail with roc::Error.
class Client {
 public:
  explicit Client(Endpoints broker = Endpoints::from_env(), ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// A dynamic handle to object `id` (no generated code needed). Does not contact the broker.
  ObjectHandle object(std::string id) const;
  ObjectHandle operator[](std::string id) const { return object(std::move(id)); }

  /// The generated typed proxy for T, bound to object `id`.
  template <class T>
  typename ProxyFor<T>::type proxy(std::string id) const {
    return typename ProxyFor<T>::type(object(std::move(id)));
  }

  /// Ids registered with the broker and their worker counts (8/MMI `mmi.objects`), as JSON:
  /// `[{"id":"vnir","workers":1}]`. Throws roc::NotSupported when the broker does not offer
  /// `mmi.objects` (a plain Majordomo broker answers 8/MMI 501).
  Json objects() const;
  /// The objects registered with the broker and their workers (`mmi.workers`, PROTOCOL §4): for
  /// `id`, or every object when `id` is empty; sorted by id, each object's workers oldest first.
  /// An id nobody serves gives an empty list. Throws roc::NotSupported when the broker does not
  /// offer `mmi.workers` (a plain Majordomo broker; objects() may still work there).
  std::vector<ObjectWorkers> workers(const std::string& id = {}) const;
  /// The same listing as the JSON the broker sent.
  Json workers_json(const std::string& id = {}) const;
  /// Whether any worker serves `id` right now (8/MMI `mmi.service`); roc::NotSupported when the
  /// broker answers 501.
  bool exists(const std::string& id) const;

  const Endpoints& broker() const noexcept;
  std::chrono::milliseconds timeout() const noexcept { return options_.timeout; }

 private:
  std::string mmi(const std::string& service, const std::string& body) const;

  ClientOptions options_;
  std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace roc
