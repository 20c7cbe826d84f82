// StatusUpdater: publishes partial status subtrees through the background publisher, keeping
// the merged tree so a (re)connected broker can be given all of it again.
#include "transport/publisher.hpp"
#include "wire/status_protocol.hpp"

#include <roc/status.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include <unistd.h>
#if defined(__GLIBC__)
#include <errno.h>  // program_invocation_short_name
#endif

namespace roc {

namespace st = detail::status;

namespace {

std::string to_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

/// Whether a subscription is the broker cache's own (see StatusCache::upstream_subscription):
/// seeing it (again) means a broker has just connected. Subscribers' `status.` prefixes never
/// equal it, so a new subscriber does not cause a republish.
bool is_broker_cache(std::string_view topic) { return topic == st::cache_subscription; }

/// This process as its stamps name it.
StatusPublisher this_process(const std::string& program) {
  StatusPublisher me;
  me.program = program;
#if defined(__GLIBC__)
  if (me.program.empty()) me.program = program_invocation_short_name;
#endif
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) me.host = host;
  me.pid = static_cast<std::int64_t>(getpid());
  return me;
}

}  // namespace

struct StatusUpdater::Impl {
  explicit Impl(const Endpoints& endpoints, const StatusUpdaterOptions& options)
      : me(this_process(options.program)),
        publisher(
            endpoints, options.queue_capacity,
            [](detail::PubMessage& item, detail::PubMessage& out) { out = std::move(item); },
            [this](std::string_view topic, std::vector<detail::PubMessage>& out) {
              if (is_broker_cache(topic)) republish(out);
            }) {}

  /// The whole tree, one message per top-level member (emit() needs a non-empty path). Stamped
  /// now: the publisher vouches for all of it again.
  void republish(std::vector<detail::PubMessage>& out) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto& root = tree.root();
    const auto now = stamp(std::chrono::system_clock::now());
    for (auto m = root.MemberBegin(); m != root.MemberEnd(); ++m)
      out.push_back({std::string(st::topic_prefix) + m->name.GetString(), to_text(m->value), now});
  }

  /// The stamp for an update emitted at `emitted`: this process's identity is written once, as
  /// emit() is on the caller's hot path.
  std::string stamp(std::chrono::system_clock::time_point emitted) const {
    char seconds[32];
    const int n = std::snprintf(seconds, sizeof seconds, "%.6f", st::to_unix_seconds(emitted));
    return stamp_head + std::string(seconds, static_cast<std::size_t>(std::max(n, 0))) + stamp_tail;
  }

  static std::string head_of(const std::string& stamp) { return stamp.substr(0, stamp.find(':') + 1); }
  static std::string tail_of(const std::string& stamp) { return stamp.substr(stamp.find(',')); }

  const StatusPublisher me;
  // write_stamp() of this process with emitted 0, cut around the number: {"emitted": | 0.0 | ,...}
  const std::string stamp_head = head_of(st::write_stamp(StatusSource{"", me, {}, false}));
  const std::string stamp_tail = tail_of(st::write_stamp(StatusSource{"", me, {}, false}));
  mutable std::mutex mutex;  // guards tree; also orders emits so queue order = tree order
  StatusTree tree;
  detail::Publisher<detail::PubMessage> publisher;
};

StatusUpdater::StatusUpdater(const Endpoints& endpoints, StatusUpdaterOptions options)
    : impl_(std::make_unique<Impl>(endpoints, options)) {}

StatusUpdater::~StatusUpdater() {
  if (impl_) impl_->publisher.flush(std::chrono::milliseconds(500));
}

void StatusUpdater::emit_value(std::string_view path, const rapidjson::Value& value) {
  const auto segments = st::split(path);
  if (segments.empty())
    throw std::invalid_argument("status path is empty; emit under a named node such as \"system\"");
  detail::PubMessage message{std::string(st::topic_prefix) + std::string(path), to_text(value),
                             impl_->stamp(std::chrono::system_clock::now())};
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->tree.merge(path, value);
  impl_->publisher.try_push(std::move(message));
}

void StatusUpdater::emit_json(std::string_view path, std::string_view json_text) {
  json::Json j = json::Json::parse(json_text);
  emit_value(path, j.value());
}

StatusTree StatusUpdater::tree() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->tree;
}

std::uint64_t StatusUpdater::dropped() const noexcept { return impl_->publisher.dropped(); }

bool StatusUpdater::flush(std::chrono::milliseconds timeout) const {
  return impl_->publisher.flush(timeout);
}

}  // namespace roc
