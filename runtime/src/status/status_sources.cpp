// Who wrote each part of a status tree: stamps, stale notices and snapshot sources on the wire
// (PROTOCOL §5.2-5.5), and the StatusTree's bookkeeping of its sources.
#include "wire/status_protocol.hpp"

#include <roc/json_reader.hpp>
#include <roc/status.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <limits>

namespace roc {
namespace detail::status {

using SystemClock = std::chrono::system_clock;

double to_unix_seconds(SystemClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

SystemClock::time_point from_unix_seconds(double seconds) {
  // Anything a peer sends must convert without overflow: clamp to what the clock can hold.
  constexpr double limit = 9.0e9;  // beyond year 2255, and within int64 nanoseconds
  if (!(seconds > -limit)) seconds = -limit;
  if (seconds > limit) seconds = limit;
  return SystemClock::time_point(
      std::chrono::duration_cast<SystemClock::duration>(std::chrono::duration<double>(seconds)));
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

/// The stamp's members, inside an object the caller opened.
void write_stamp_members(Writer& w, const StatusSource& source) {
  w.Key("emitted");
  w.Double(to_unix_seconds(source.emitted));
  w.Key("publisher");
  if (!source.publisher.known()) {
    w.Null();
    return;
  }
  w.StartObject();
  w.Key("program");
  write_string(w, source.publisher.program);
  w.Key("host");
  write_string(w, source.publisher.host);
  w.Key("pid");
  w.Int64(source.publisher.pid);
  w.EndObject();
}

// Microseconds: more would be noise on any clock a stamp comes from.
constexpr int stamp_decimals = 6;

/// The stamp members of `v` into `out`; false when they are not a stamp's.
bool read_stamp_members(const rapidjson::Value& v, StatusSource& out) {
  if (!v.IsObject()) return false;
  const auto emitted = v.FindMember("emitted");
  if (emitted == v.MemberEnd() || !emitted->value.IsNumber()) return false;
  const double seconds = emitted->value.GetDouble();
  if (!std::isfinite(seconds)) return false;
  out.emitted = from_unix_seconds(seconds);
  const auto publisher = v.FindMember("publisher");
  if (publisher == v.MemberEnd() || publisher->value.IsNull()) return true;
  const auto& p = publisher->value;
  if (!p.IsObject()) return false;
  for (auto m = p.MemberBegin(); m != p.MemberEnd(); ++m) {
    const std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (name == "program" || name == "host") {
      if (!m->value.IsString()) return false;
      (name == "program" ? out.publisher.program : out.publisher.host)
          .assign(m->value.GetString(), m->value.GetStringLength());
    } else if (name == "pid") {
      if (!m->value.IsInt64()) return false;
      out.publisher.pid = m->value.GetInt64();
    }
  }
  return true;
}

}  // namespace

std::string write_stamp(const StatusSource& source) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetMaxDecimalPlaces(stamp_decimals);
  w.StartObject();
  write_stamp_members(w, source);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<StatusSource> read_stamp(std::string_view text) {
  if (text.size() > max_stamp_bytes) return std::nullopt;
  // Read for every update, by the broker and by each subscriber: a stamp's values fit a buffer on
  // the stack, where a Document's own pool would allocate 64 KiB each time.
  char buffer[4 * max_stamp_bytes];
  rapidjson::MemoryPoolAllocator<> pool(buffer, sizeof buffer);
  rapidjson::Document doc(&pool);
  if (json::read(doc, text, 4)) return std::nullopt;
  StatusSource out;
  if (!read_stamp_members(doc, out)) return std::nullopt;
  return out;
}

std::string write_stale_notice(const StatusSource& source, std::string_view reason) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetMaxDecimalPlaces(stamp_decimals);
  w.StartObject();
  write_stamp_members(w, source);
  w.Key("reason");
  write_string(w, reason);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string write_sources(const std::vector<StatusSource>& sources) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetMaxDecimalPlaces(stamp_decimals);
  w.StartArray();
  for (const auto& s : sources) {
    w.StartObject();
    w.Key("path");
    write_string(w, s.path);
    write_stamp_members(w, s);
    w.Key("stale");
    w.Bool(s.stale);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::vector<StatusSource>> read_sources(std::string_view text) {
  rapidjson::Document doc;
  if (json::read(doc, text, 5) || !doc.IsArray()) return std::nullopt;
  std::vector<StatusSource> out;
  for (const auto& entry : doc.GetArray()) {
    StatusSource s;
    if (!read_stamp_members(entry, s)) continue;
    const auto path = entry.FindMember("path");
    const auto stale = entry.FindMember("stale");
    if (path == entry.MemberEnd() || !path->value.IsString()) continue;
    s.path.assign(path->value.GetString(), path->value.GetStringLength());
    try {
      split(s.path);
    } catch (const std::invalid_argument&) {
      continue;
    }
    s.stale = stale != entry.MemberEnd() && stale->value.IsBool() && stale->value.GetBool();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace detail::status

namespace st = detail::status;

std::string StatusPublisher::describe() const {
  if (!known()) return "an unknown publisher";
  std::string out = program.empty() ? "a program" : program;
  if (!host.empty()) out += " on " + host;
  if (pid != 0) out += " (pid " + std::to_string(pid) + ")";
  return out;
}

namespace {

/// Whether `value`, merged at some path, rewrites or deletes the part at `below` under it: it
/// holds a member all the way down, or replaces an object on the way with something else.
bool reaches(const rapidjson::Value& value, const st::Path& below) {
  const rapidjson::Value* node = &value;
  for (const auto& segment : below) {
    if (!node->IsObject()) return true;
    const auto it = node->FindMember(rapidjson::StringRef(segment.data(), segment.size()));
    if (it == node->MemberEnd()) return false;
    node = &it->value;
  }
  return true;
}

}  // namespace

void StatusTree::merge_written(std::string_view path, const rapidjson::Value& value, const StatusSource* source,
                               std::uint64_t writer) {
  const auto segments = st::split(path);
  st::merge_at(tree_.value(), segments, value, tree_.allocator());
  // The deeper sources this update rewrites are its now: one source per part, the deepest
  // covering it, is what a reader asks for.
  const auto key = st::join(segments);
  sources_.erase(key);
  const std::string below = key.empty() ? std::string() : key + '.';
  for (auto it = sources_.lower_bound(below); it != sources_.end() && it->first.compare(0, below.size(), below) == 0;) {
    if (reaches(value, st::split(std::string_view(it->first).substr(below.size()))))
      it = sources_.erase(it);
    else
      ++it;
  }
  if (source != nullptr && !value.IsNull()) {
    Source fresh{*source, writer};
    fresh.info.path = key;
    fresh.info.stale = false;
    sources_.emplace(key, std::move(fresh));
  }
  maybe_compact();
}

void StatusTree::mark_stale(const StatusSource& source) {
  auto& entry = sources_[source.path];
  entry.info = source;
  entry.info.stale = true;
}

std::vector<StatusSource> StatusTree::mark_stale_written_by(std::uint64_t writer) {
  std::vector<StatusSource> flagged;
  for (auto& [path, source] : sources_) {
    if (source.writer != writer || source.info.stale) continue;
    source.info.stale = true;
    flagged.push_back(source.info);
  }
  return flagged;
}

std::vector<StatusSource> StatusTree::sources() const {
  std::vector<StatusSource> out;
  out.reserve(sources_.size());
  for (const auto& [path, source] : sources_) out.push_back(source.info);
  return out;
}

const StatusSource* StatusTree::source(std::string_view path) const {
  if (sources_.empty()) return nullptr;
  auto segments = st::split(path);
  while (true) {
    const auto it = sources_.find(st::join(segments));
    if (it != sources_.end()) return &it->second.info;
    if (segments.empty()) return nullptr;
    segments.pop_back();
  }
}

}  // namespace roc
