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
#include <set>
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

  /// Everything this process emitted, one message per path it emitted at (the outermost ones),
  /// so that it claims again exactly what it wrote (§5.4, §5.5): republishing a whole top-level
  /// node would make it the source of a node it shares with other publishers, flagged stale
  /// when this process exits. Stamped now: the publisher vouches for all of it again.
  void republish(std::vector<detail::PubMessage>& out) {
    std::lock_guard<std::mutex> lock(mutex);
    std::string path;
    republish_under(tree.root(), path, stamp(std::chrono::system_clock::now()), out);
  }

  /// In the tree's order, so that a republished tree reads as it did.
  void republish_under(const rapidjson::Value& node, std::string& path, const std::string& now,
                       std::vector<detail::PubMessage>& out) const {
    for (auto m = node.MemberBegin(); m != node.MemberEnd(); ++m) {
      const auto length = path.size();
      if (length) path += '.';
      path.append(m->name.GetString(), m->name.GetStringLength());
      if (emitted_at.count(path))
        out.push_back({std::string(st::topic_prefix) + path, to_text(m->value), now});
      else if (m->value.IsObject() && emitted_below(path))
        republish_under(m->value, path, now, out);
      path.resize(length);
    }
  }

  bool emitted_below(std::string path) const {
    path += '.';
    const auto it = emitted_at.lower_bound(path);
    return it != emitted_at.end() && it->compare(0, path.size(), path) == 0;
  }

  /// Keeps `emitted_at` the outermost paths emitted at: an emit under one of them adds nothing,
  /// one above some replaces them, a deletion forgets what it deletes. Called with `mutex` held.
  void note_emitted_at(std::string_view path, bool deletion) {
    if (const auto it = emitted_at.find(path); it != emitted_at.end()) {  // the usual case: again
      if (deletion) emitted_at.erase(it);
      return;
    }
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1))
      if (emitted_at.count(path.substr(0, dot))) return;
    // Paths under `path` are those starting "path." and sort before "path/" ('/' follows '.').
    std::string below(path);
    below += '.';
    const auto first = emitted_at.lower_bound(below);
    below.back() = '/';
    emitted_at.erase(first, emitted_at.lower_bound(below));
    if (!deletion) emitted_at.emplace(path);
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
  mutable std::mutex mutex;  // guards tree and emitted_at; also orders emits so queue order = tree order
  StatusTree tree;
  std::set<std::string, std::less<>> emitted_at;
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
  impl_->note_emitted_at(path, value.IsNull());
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
