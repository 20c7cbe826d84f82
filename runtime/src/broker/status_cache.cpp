// The broker's status cache (see status_cache.hpp).
#include "broker/status_cache.hpp"

#include "wire/status_protocol.hpp"

#include <rapidjson/document.h>

#include <string>

namespace roc::detail {

namespace st = status;

void StatusCache::on_publish(std::vector<zmq::message_t>& frames) noexcept {
  if (frames.size() < 2) return;
  const std::string_view topic_view(frames[0].data<char>(), frames[0].size());
  if (topic_view.substr(0, st::topic_prefix.size()) != st::topic_prefix) return;
  try {
    // Read before numbering: an update no subscriber could apply is dropped here, without a
    // number, so subscribers see no gap. Nothing a peer sends can make it into the tree deeper
    // than json::max_depth.
    rapidjson::Document body;
    st::Path path;
    try {
      path = st::split(topic_view.substr(st::topic_prefix.size()));
    } catch (const std::invalid_argument&) {
      frames.clear();
    }
    if (!frames.empty() && st::read_body(body, path.size(), {frames[1].data<char>(), frames[1].size()}))
      frames.clear();
    if (frames.empty()) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    frames.resize(2);
    const auto text = std::to_string(++seq_);
    frames.emplace_back(text.data(), text.size());
    tree_.merge(st::join(path), body);
  } catch (...) {
    // An allocation failure: the update still goes through.
  }
}

std::optional<std::vector<zmq::message_t>> StatusCache::on_subscription(
    const zmq::message_t& message) noexcept {
  if (message.size() < 2 || message.data<char>()[0] != 1) return std::nullopt;
  const std::string_view topic(message.data<char>() + 1, message.size() - 1);
  try {
    const auto masks = st::parse_snapshot_request(topic);
    if (!masks) return std::nullopt;
    std::vector<zmq::message_t> reply;
    reply.emplace_back(topic.data(), topic.size());
    const auto body = tree_.cut(*masks).dump();
    reply.emplace_back(body.data(), body.size());
    const auto seq = std::to_string(seq_);
    reply.emplace_back(seq.data(), seq.size());
    return reply;
  } catch (...) {
    return std::nullopt;  // a malformed mask: no answer; the subscriber gives up waiting
  }
}

}  // namespace roc::detail
