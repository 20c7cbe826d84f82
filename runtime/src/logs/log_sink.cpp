// The publishing spdlog sink: copies records in the caller's thread, serializes and sends them
// in the background publisher's thread.
#include "transport/publisher.hpp"

#include <roc/log.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace roc::log {

namespace {

/// What the caller's thread copies out of a log_msg: only owned or static data.
struct Record {
  spdlog::log_clock::time_point time;
  spdlog::level::level_enum level{};
  std::size_t thread = 0;
  const char* file = nullptr;  // __FILE__: static storage
  int line = 0;
  std::string logger;
  std::string msg;
};

std::string iso8601(spdlog::log_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us % 1000000));
  return buf;
}

}  // namespace

struct Sink::Impl {
  Impl(const Endpoints& endpoints, std::string node_name, const Options& options)
      : node(std::move(node_name)),
        publisher(endpoints, options.queue_capacity,
                  [this](Record& r, detail::PubMessage& out) { encode(r, out); }) {}

  void encode(Record& r, detail::PubMessage& out) const {
    const auto level = spdlog::level::to_string_view(r.level);
    out.topic.assign("log.");
    out.topic.append(level.data(), level.size());
    out.topic += '.';
    out.topic += node;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    const auto ts = iso8601(r.time);
    w.StartObject();
    w.Key("ts");
    w.String(ts);
    w.Key("level");
    w.String(level.data(), static_cast<rapidjson::SizeType>(level.size()));
    w.Key("node");
    w.String(node);
    w.Key("logger");
    w.String(r.logger);
    w.Key("msg");
    w.String(r.msg);
    w.Key("file");
    if (r.file)
      w.String(r.file);
    else
      w.Null();
    w.Key("line");
    w.Int(r.line);
    w.Key("thread");
    w.Uint64(r.thread);
    w.EndObject();
    out.body.assign(buf.GetString(), buf.GetSize());
  }

  const std::string node;
  detail::Publisher<Record> publisher;
};

Sink::Sink(const Endpoints& endpoints, std::string node, Options options) {
  if (node.empty() || node.find('.') != std::string::npos)
    throw std::invalid_argument("log node name '" + node +
                                "' must be non-empty and without dots (it is one topic segment)");
  impl_ = std::make_unique<Impl>(endpoints, std::move(node), options);
}

Sink::~Sink() = default;

void Sink::log(const spdlog::details::log_msg& msg) {
  if (!should_log(msg.level)) return;
  try {
    Record r;
    r.time = msg.time;
    r.level = msg.level;
    r.thread = msg.thread_id;
    r.file = msg.source.filename;
    r.line = msg.source.line;
    r.logger.assign(msg.logger_name.data(), msg.logger_name.size());
    r.msg.assign(msg.payload.data(), msg.payload.size());
    impl_->publisher.try_push(std::move(r));
  } catch (...) {
    // Out of memory while copying: a record lost, never an exception in the caller.
  }
}

std::uint64_t Sink::dropped() const noexcept { return impl_->publisher.dropped(); }
bool Sink::drain(std::chrono::milliseconds timeout) const { return impl_->publisher.flush(timeout); }
const std::string& Sink::node() const noexcept { return impl_->node; }

namespace {

std::mutex installed_mutex;
std::shared_ptr<Sink> installed;  // spdlog's registry is process-wide; so is its roc sink

void remove_from_loggers(const std::shared_ptr<Sink>& s) {
  auto remove = [&](const std::shared_ptr<spdlog::logger>& logger) {
    if (!logger) return;
    auto& sinks = logger->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), s), sinks.end());
  };
  spdlog::apply_all(remove);
  remove(spdlog::default_logger());
}

std::shared_ptr<Sink> install_sink(const Endpoints& endpoints, std::string_view node, Options options) {
  auto s = std::make_shared<Sink>(endpoints, std::string(node), options);
  std::shared_ptr<Sink> old;
  {
    std::lock_guard<std::mutex> lock(installed_mutex);
    old = std::exchange(installed, s);
    if (old) remove_from_loggers(old);
    auto add = [&](const std::shared_ptr<spdlog::logger>& logger) {
      if (logger) logger->sinks().push_back(s);
    };
    spdlog::apply_all(add);
    auto def = spdlog::default_logger();
    if (def && spdlog::get(def->name()) != def) add(def);  // not in the registry: add it too
  }
  if (old) old->drain(std::chrono::milliseconds(200));
  return s;
}

}  // namespace

void uninstall(std::chrono::milliseconds drain) {
  std::shared_ptr<Sink> s;
  {
    std::lock_guard<std::mutex> lock(installed_mutex);
    s = std::exchange(installed, nullptr);
    if (s) remove_from_loggers(s);
  }
  if (s) s->drain(drain);
}

std::shared_ptr<Sink> sink() {
  std::lock_guard<std::mutex> lock(installed_mutex);
  return installed;
}

std::uint64_t dropped() {
  auto s = sink();
  return s ? s->dropped() : 0;
}

}  // namespace roc::log

// Only the variant matching this build exists, so a program built against spdlog the other way
// fails to link rather than losing its records (roc/log.hpp).
#ifdef SPDLOG_COMPILED_LIB
std::shared_ptr<roc::log::Sink> roc::detail::install_log_sink_into_spdlog_library(
#else
std::shared_ptr<roc::log::Sink> roc::detail::install_log_sink_into_header_only_spdlog(
#endif
    const Endpoints& endpoints, std::string_view node, log::Options options) {
  return log::install_sink(endpoints, node, options);
}
