// roc::PresenceSubscription and the readers of the broker's presence reports: `mmi.workers`
// replies and `roc.presence.<id>` events (PROTOCOL §4, §5.6).
#include "transport/subscriber.hpp"

#include <roc/error.hpp>
#include <roc/json_reader.hpp>
#include <roc/presence.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace roc {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view topic_prefix = "roc.presence.";
// Events are a few hundred bytes; anything far larger is not one.
constexpr std::size_t max_event_bytes = 64 * 1024;

// The worker object both reports share; false when a member is missing or of the wrong type.
bool read_worker(const rapidjson::Value& v, WorkerPresence& out) {
  if (!v.IsObject()) return false;
  const auto text = [&](const char* name, std::string& to) {
    const auto it = v.FindMember(name);
    if (it == v.MemberEnd() || it->value.IsNull()) return true;  // a worker that told nothing
    if (!it->value.IsString()) return false;
    to.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  };
  const auto count = [&](const char* name, std::uint64_t& to) {
    const auto it = v.FindMember(name);
    if (it == v.MemberEnd() || !it->value.IsUint64()) return false;
    to = it->value.GetUint64();
    return true;
  };
  if (!text("host", out.host) || !text("program", out.program)) return false;
  if (const auto pid = v.FindMember("pid"); pid != v.MemberEnd() && !pid->value.IsNull()) {
    if (!pid->value.IsUint()) return false;
    out.pid = pid->value.GetUint();
  }
  const auto uptime = v.FindMember("uptime_s");
  if (uptime == v.MemberEnd() || !uptime->value.IsNumber()) return false;
  out.uptime_s = uptime->value.GetDouble();
  return count("calls", out.calls) && count("in_flight", out.in_flight);
}

PresenceEvent::Kind kind_of(std::string_view event) {
  if (event == "registered") return PresenceEvent::Kind::registered;
  if (event == "worker-joined") return PresenceEvent::Kind::worker_joined;
  if (event == "worker-left") return PresenceEvent::Kind::worker_left;
  if (event == "gone") return PresenceEvent::Kind::gone;
  return PresenceEvent::Kind::other;
}

}  // namespace

std::vector<ObjectWorkers> parse_workers(std::string_view json) {
  rapidjson::Document d;
  if (const auto error = json::read(d, json))
    throw ProtocolError(fmt::format("mmi.workers answered with something that is not JSON: {}", error.message));
  const auto bad = [](const std::string& what) {
    return ProtocolError("mmi.workers answered with something that is not a listing of workers: " + what);
  };
  if (!d.IsArray()) throw bad("not an array");
  std::vector<ObjectWorkers> objects;
  for (const auto& o : d.GetArray()) {
    if (!o.IsObject() || !o.HasMember("id") || !o["id"].IsString() || !o.HasMember("workers") ||
        !o["workers"].IsArray())
      throw bad("an entry without a string id and an array of workers");
    auto& object = objects.emplace_back();
    object.id.assign(o["id"].GetString(), o["id"].GetStringLength());
    for (const auto& w : o["workers"].GetArray())
      if (!read_worker(w, object.workers.emplace_back()))
        throw bad(fmt::format("a worker of '{}' with a member missing or of the wrong type", object.id));
  }
  return objects;
}

std::optional<PresenceEvent> parse_presence_event(std::string_view body) {
  if (body.size() > max_event_bytes) return std::nullopt;
  rapidjson::Document d;
  if (json::read(d, body) || !d.IsObject()) return std::nullopt;
  PresenceEvent e;
  const auto event = d.FindMember("event");
  const auto id = d.FindMember("id");
  const auto workers = d.FindMember("workers");
  const auto worker = d.FindMember("worker");
  if (event == d.MemberEnd() || !event->value.IsString() || id == d.MemberEnd() || !id->value.IsString() ||
      workers == d.MemberEnd() || !workers->value.IsUint64() || worker == d.MemberEnd() ||
      !read_worker(worker->value, e.worker))
    return std::nullopt;
  e.event.assign(event->value.GetString(), event->value.GetStringLength());
  e.kind = kind_of(e.event);
  e.id.assign(id->value.GetString(), id->value.GetStringLength());
  e.workers = static_cast<std::size_t>(workers->value.GetUint64());
  if (const auto reason = d.FindMember("reason"); reason != d.MemberEnd()) {
    if (!reason->value.IsString()) return std::nullopt;
    e.reason.assign(reason->value.GetString(), reason->value.GetStringLength());
  }
  e.body.assign(body.data(), body.size());
  return e;
}

struct PresenceSubscription::Impl {
  Impl(const Endpoints& endpoints, std::vector<std::string> object_ids, std::chrono::milliseconds timeout)
      : ids(std::move(object_ids)), timeout(timeout), socket(endpoints) {
    for (const auto& id : ids)
      if (id.empty()) throw std::invalid_argument("a presence subscription's object ids must not be empty");
    // A prefix also lets longer ids through (`cam` takes `camera`): next() matches ids exactly.
    if (ids.empty()) socket.subscribe(topic_prefix);
    for (const auto& id : ids) socket.subscribe(std::string(topic_prefix) + id);
  }

  std::optional<PresenceEvent> next(Clock::time_point deadline) {
    std::vector<zmq::message_t> frames;
    while (socket.receive(frames, deadline)) {
      if (frames.size() < 2) {
        ++dropped;
        continue;
      }
      auto event = parse_presence_event({frames[1].data<char>(), frames[1].size()});
      if (!event) {
        ++dropped;
        continue;
      }
      if (ids.empty() || std::find(ids.begin(), ids.end(), event->id) != ids.end()) return event;
    }
    return std::nullopt;
  }

  std::vector<std::string> ids;
  std::chrono::milliseconds timeout;
  detail::Subscriber socket;
  std::uint64_t dropped = 0;
};

PresenceSubscription::PresenceSubscription(const Endpoints& endpoints, std::vector<std::string> ids,
                                           std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(endpoints, std::move(ids), timeout)) {}
PresenceSubscription::~PresenceSubscription() = default;
PresenceSubscription::PresenceSubscription(PresenceSubscription&&) noexcept = default;
PresenceSubscription& PresenceSubscription::operator=(PresenceSubscription&&) noexcept = default;

std::optional<PresenceEvent> PresenceSubscription::next(std::chrono::milliseconds timeout) {
  return impl_->next(Clock::now() + timeout);
}
std::optional<PresenceEvent> PresenceSubscription::next() { return next(impl_->timeout); }
std::uint64_t PresenceSubscription::dropped() const noexcept { return impl_->dropped; }
bool PresenceSubscription::connected() const noexcept { return impl_->socket.connected(); }
const std::string& PresenceSubscription::link_failure() const noexcept { return impl_->socket.link_failure(); }
const std::string& PresenceSubscription::endpoint() const noexcept { return impl_->socket.endpoint(); }
const std::vector<std::string>& PresenceSubscription::ids() const noexcept { return impl_->ids; }

PresenceSubscription presence_events(const Endpoints& endpoints, std::vector<std::string> ids,
                                     std::chrono::milliseconds timeout) {
  return PresenceSubscription(endpoints, std::move(ids), timeout);
}

}  // namespace roc
