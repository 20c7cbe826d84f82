// StatusUpdater: publishes partial status subtrees through the background publisher, keeping
// the merged tree so a (re)connected broker can be given all of it again.
#include "transport/publisher.hpp"
#include "wire/status_protocol.hpp"

#include <roc/status.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <mutex>
#include <stdexcept>

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

}  // namespace

struct StatusUpdater::Impl {
  explicit Impl(const Endpoints& endpoints, const StatusUpdaterOptions& options)
      : publisher(
            endpoints, options.queue_capacity,
            [](detail::PubMessage& item, detail::PubMessage& out) { out = std::move(item); },
            [this](std::string_view topic, std::vector<detail::PubMessage>& out) {
              if (is_broker_cache(topic)) republish(out);
            }) {}

  /// The whole tree, one message per top-level member (emit() needs a non-empty path).
  void republish(std::vector<detail::PubMessage>& out) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto& root = tree.root();
    for (auto m = root.MemberBegin(); m != root.MemberEnd(); ++m)
      out.push_back({std::string(st::topic_prefix) + m->name.GetString(), to_text(m->value)});
  }

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
  detail::PubMessage message{std::string(st::topic_prefix) + std::string(path), to_text(value)};
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
