// roc::Client and the JSON-RPC side of calls: request bodies out, results or errors back.
#include "roc/client.hpp"

#include "client/client_core.hpp"
#include "wire/attachment_frames.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace roc {
namespace detail {
namespace {

// The request body; no id makes it a notification.
std::string request_body(std::optional<std::int64_t> id, std::string_view method, const json::Value* params) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  if (id) {
    w.Key("id");
    w.Int64(*id);
  }
  w.Key("method");
  w.String(method.data(), static_cast<rapidjson::SizeType>(method.size()));
  if (params != nullptr) {
    w.Key("params");
    params->Accept(w);
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

// Throws the error a response carries, or ProtocolError when it is no response at all.
void check_response(const Json& reply, const std::string& object_id) {
  const auto& v = reply.value();
  if (!v.IsObject())
    throw ProtocolError(fmt::format("object '{}' answered with something that is not a JSON-RPC response", object_id));
  auto error = v.FindMember("error");
  if (error != v.MemberEnd()) {
    const auto& e = error->value;
    if (!e.IsObject() || !e.HasMember("code") || !e["code"].IsInt() || !e.HasMember("message") ||
        !e["message"].IsString())
      throw ProtocolError(fmt::format("object '{}' answered with a malformed error object", object_id));
    auto data = e.FindMember("data");
    throw_remote_error(e["code"].GetInt(), e["message"].GetString(),
                       data == e.MemberEnd() ? std::string() : json::to_string(data->value));
  }
  if (!v.HasMember("result"))
    throw ProtocolError(fmt::format("object '{}' answered with neither a result nor an error", object_id));
}

Progress progress_of(const json::Value& event) {
  Progress p;
  if (auto m = event.FindMember("fraction"); m != event.MemberEnd() && m->value.IsNumber())
    p.fraction = m->value.GetDouble();
  if (auto m = event.FindMember("message"); m != event.MemberEnd() && m->value.IsString())
    p.message.assign(m->value.GetString(), m->value.GetStringLength());
  if (auto m = event.FindMember("data"); m != event.MemberEnd()) p.data = Json::from(m->value);
  return p;
}

// Events a PendingCall keeps for next_progress; a reader that falls behind loses the oldest.
constexpr std::size_t max_kept_events = 1024;

}  // namespace

// What a started call and the I/O thread share: the outcome, set once, and unread progress.
struct CallState {
  std::weak_ptr<ClientCore> core;  // weak: the I/O thread holds this state and must not own its core
  std::string object_id;
  std::int64_t id = 0;
  bool keeps_events = false;

  std::mutex mutex;
  std::condition_variable changed;
  bool done = false;
  bool cancelled = false;
  Json reply;
  AttachmentSource attachments;
  std::exception_ptr error;
  std::deque<Progress> events;

  void finish(Json&& response, AttachmentSource&& frames, std::exception_ptr failure) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      reply = std::move(response);
      attachments = std::move(frames);
      error = std::move(failure);
      done = true;
    }
    changed.notify_all();
  }

  void keep(Progress&& event) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (events.size() == max_kept_events) events.pop_front();
      events.push_back(std::move(event));
    }
    changed.notify_all();
  }
};

CallState& StartedCall::state() const {
  if (!state_) throw std::logic_error("roc::PendingCall used after it was moved from");
  return *state_;
}

bool StartedCall::wait_for(std::chrono::milliseconds wait) const {
  auto& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  return s.changed.wait_for(lock, wait, [&] { return s.done; });
}

void StartedCall::cancel() {
  auto& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.done || s.cancelled) return;
    s.cancelled = true;
  }
  // Through the I/O thread: the broker matches a cancel by the connection the call went out on.
  if (auto core = s.core.lock()) core->cancel_async(s.id);
}

std::optional<Progress> StartedCall::next_progress(std::chrono::milliseconds wait) {
  auto& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  s.changed.wait_for(lock, wait, [&] { return !s.events.empty() || s.done; });
  if (s.events.empty()) return std::nullopt;
  Progress next = std::move(s.events.front());
  s.events.pop_front();
  return next;
}

const json::Value& StartedCall::result() {
  auto& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  s.changed.wait(lock, [&] { return s.done; });
  if (s.error) std::rethrow_exception(s.error);
  return s.reply.value()["result"];
}

AttachmentSource& StartedCall::attachments() { return state().attachments; }

StartedCall start_call(const std::shared_ptr<ClientCore>& core, const std::string& object_id, std::string_view method,
                       const json::Value* params, std::vector<OutgoingAttachment>& attachments, CallOptions options,
                       std::chrono::milliseconds timeout) {
  auto state = std::make_shared<CallState>();
  state->core = core;
  state->object_id = object_id;
  state->id = core->next_id();
  state->keeps_events = options.progress;
  ClientCore::ProgressHandler on_progress;
  if (options.on_progress || options.progress)
    on_progress = [state, user = std::move(options.on_progress)](const json::Value& event) {
      Progress p = progress_of(event);
      if (user) {
        try {
          user(p);
        } catch (const std::exception& error) {  // the I/O thread serves every call: it must go on
          spdlog::warn("roc client: an on_progress callback of a call to '{}' threw: {}", state->object_id,
                       error.what());
        }
      }
      if (state->keeps_events) state->keep(std::move(p));
    };
  core->request_async(
      object_id, message_frames(request_body(state->id, method, params), attachments), state->id,
      options.timeout.value_or(timeout),
      [state](Json&& reply, AttachmentSource&& frames) {
        std::exception_ptr failure;
        try {
          check_response(reply, state->object_id);
        } catch (...) {
          failure = std::current_exception();
        }
        state->finish(std::move(reply), std::move(frames), failure);
      },
      [state](std::exception_ptr failure) { state->finish(Json(), AttachmentSource(), std::move(failure)); },
      std::move(on_progress));
  return StartedCall(std::move(state));
}

std::size_t attachment_min_bytes(const ClientCore& core) noexcept { return core.attachment_min_bytes(); }

Json call(ClientCore& core, const std::string& object_id, std::string_view method, const json::Value* params,
          std::chrono::milliseconds timeout, std::vector<OutgoingAttachment>* attachments,
          AttachmentSource* reply_attachments) {
  const auto id = core.next_id();
  std::vector<OutgoingAttachment> none;
  Json reply = core.request(object_id, message_frames(request_body(id, method, params), attachments ? *attachments : none),
                            id, timeout, reply_attachments);
  check_response(reply, object_id);
  return reply;
}

void call_async(ClientCore& core, const std::string& object_id, std::string_view method, Params& params,
                std::chrono::milliseconds timeout, std::function<void(const json::Value& result)> on_result,
                std::function<void(std::exception_ptr)> on_error) {
  const auto id = core.next_id();
  core.request_async(
      object_id, message_frames(request_body(id, method, &params.json), params.attachments.items()), id, timeout,
      [object_id, on_result, on_error](Json&& reply, AttachmentSource&& attachments) {
        try {
          check_response(reply, object_id);
        } catch (...) {
          on_error(std::current_exception());
          return;
        }
        const SourceScope scope(&attachments);
        on_result(reply.value()["result"]);
      },
      on_error);
}

void notify(ClientCore& core, const std::string& object_id, std::string_view method, Params& params,
            std::chrono::milliseconds timeout) {
  core.send(object_id, message_frames(request_body(std::nullopt, method, &params.json), params.attachments.items()),
            timeout);
}

const json::Value& inout_member(const json::Value& result, std::string_view method, std::string_view name) {
  if (!result.IsObject())
    throw ProtocolError(fmt::format("the result of '{}' is {}, but a call with in/out arguments expects an object "
                                    "{{\"return\": ..., \"<parameter>\": ...}}",
                                    method, json::describe_kind(result)));
  auto member = result.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (member == result.MemberEnd())
    throw ProtocolError(fmt::format("the result of '{}' has no member '{}'{}", method, name,
                                    name == "return" ? " (the return value of a call with in/out arguments)"
                                                     : " (the value of that in/out argument after the call)"));
  return member->value;
}

}  // namespace detail

Json RawResult::plain() const {
  Json copy = json_;
  json::inline_attachments(copy.value(), copy.allocator(), attachments_);
  return copy;
}

RawResult::Array RawResult::array(const json::Value& reference) const {
  if (!json::detail::is_reference(reference))
    throw json::DecodeError("an attachment reference", json::describe_kind(reference));
  const auto type = reference.HasMember("type") && reference["type"].IsString()
                        ? std::string(reference["type"].GetString(), reference["type"].GetStringLength())
                        : std::string();
  const auto size = json::detail::element_size(type);
  if (size == 0)
    throw json::DecodeError("an attachment of numbers", "an attachment of '" + type.substr(0, 32) + "' elements");
  const detail::SourceScope scope(&attachments_);
  auto r = json::detail::read_reference(reference, "an array", type, size, true);
  return Array{type, reference["order"].GetString(), std::move(r.shape),
               std::string_view(static_cast<const char*>(r.attachment->data), r.attachment->size)};
}

RawResult ObjectHandle::call_raw(std::string_view method, const Json& params) const {
  verify_signature();
  detail::AttachmentSource attachments;
  Json reply = detail::call(*core_, id_, method, params.value().IsNull() ? nullptr : &params.value(), timeout_,
                            nullptr, &attachments);
  return RawResult(Json::from(reply.value()["result"]), std::move(attachments));
}

PendingCall<RawResult> ObjectHandle::start_raw(std::string_view method, const Json& params,
                                               CallOptions options) const {
  verify_signature();
  std::vector<detail::OutgoingAttachment> none;
  return PendingCall<RawResult>(detail::start_call(core_, id_, method,
                                                   params.value().IsNull() ? nullptr : &params.value(), none,
                                                   std::move(options), timeout_));
}

void ObjectHandle::check_signature() const {
  Json reply = detail::call(*core_, id_, "rpc.signature", nullptr, timeout_);
  const auto& actual = reply.value()["result"];
  if (!actual.IsString())
    throw ProtocolError(fmt::format("object '{}' answered rpc.signature with something that is not a string", id_));
  if (signature_->expected != actual.GetString())
    throw SignatureMismatch(error_code::signature_mismatch,
                            fmt::format("signature mismatch: object '{}' implements interface signature {}, but this "
                                        "proxy was generated for {}; regenerate the proxy from the object's header "
                                        "or IDL",
                                        id_, actual.GetString(), signature_->expected));
  signature_->verified.store(true, std::memory_order_release);
}

Client::Client(Endpoints broker, ClientOptions options)
    : options_(options),
      core_(std::make_shared<detail::ClientCore>(std::move(broker), options.attachment_min_bytes)) {
  if (options_.timeout.count() <= 0) throw std::invalid_argument("roc::ClientOptions: the timeout must be positive");
}

Client::~Client() = default;

ObjectHandle Client::object(std::string id) const { return ObjectHandle(core_, std::move(id), options_.timeout); }

std::string Client::mmi(const std::string& service, const std::string& body) const {
  return core_->request_raw(service, body, options_.timeout);
}

namespace {
// 8/MMI status codes a broker answers instead of the service's reply.
constexpr std::string_view mmi_found = "200";
constexpr std::string_view mmi_not_found = "404";
constexpr std::string_view mmi_not_implemented = "501";

[[noreturn]] void throw_not_supported(const Endpoints& broker, std::string_view service, std::string_view code) {
  throw NotSupported(fmt::format("the broker at {} does not support {} (8/MMI {})", broker.calls(), service, code));
}
}  // namespace

Json Client::objects() const {
  auto text = mmi("mmi.objects", "");
  // Both mean the broker has no such MMI service; a JSON listing never is a bare number.
  if (text == mmi_not_implemented || text == mmi_not_found) throw_not_supported(broker(), "mmi.objects", text);
  try {
    return Json::parse(text);
  } catch (const std::invalid_argument& error) {
    throw ProtocolError(fmt::format("mmi.objects answered with something that is not JSON: {}", error.what()));
  }
}

namespace {
// An MMI listing's text, or roc::NotSupported when the broker has no such service.
std::string mmi_listing(const std::string& text, const Endpoints& broker, std::string_view service) {
  // Both mean the broker has no such MMI service; a JSON listing never is a bare number.
  if (text == mmi_not_implemented || text == mmi_not_found) throw_not_supported(broker, service, text);
  return text;
}
}  // namespace

std::vector<ObjectWorkers> Client::workers(const std::string& id) const {
  return parse_workers(mmi_listing(mmi("mmi.workers", id), broker(), "mmi.workers"));
}

Json Client::workers_json(const std::string& id) const {
  const auto text = mmi_listing(mmi("mmi.workers", id), broker(), "mmi.workers");
  parse_workers(text);  // the same checks as workers(): a listing that is not one is a ProtocolError
  return Json::parse(text);
}

bool Client::exists(const std::string& id) const {
  const auto code = mmi("mmi.service", id);
  if (code == mmi_found) return true;
  if (code == mmi_not_found) return false;
  if (code == mmi_not_implemented) throw_not_supported(broker(), "mmi.service", code);
  throw ProtocolError(fmt::format("mmi.service answered '{}', not an 8/MMI code", code.substr(0, 64)));
}

const Endpoints& Client::broker() const noexcept { return core_->broker(); }

}  // namespace roc
