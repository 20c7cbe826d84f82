// The broker's status cache (see status_cache.hpp).
#include "broker/status_cache.hpp"

#include "wire/status_protocol.hpp"

#include <rapidjson/document.h>

#include <string>

namespace roc::detail {

namespace st = status;

namespace {

zmq::message_t frame(std::string_view text) { return zmq::message_t(text.data(), text.size()); }
std::string_view text(const zmq::message_t& m) { return {m.data<char>(), m.size()}; }
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

void StatusCache::on_publish(Frames& frames, std::uint64_t connection, Clock::time_point now) noexcept {
  if (frames.empty()) return;
  const auto topic_view = text(frames[0]);
  if (!starts_with(topic_view, st::topic_prefix)) return;
  if (frames.size() < 2) {  // no body: nothing any subscriber could apply
    frames.clear();
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
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
    if (!frames.empty() && st::read_body(body, path.size(), text(frames[1]))) frames.clear();
    if (frames.empty()) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // A publisher that does not stamp (or stamps badly) is stamped here, as unknown: receivers
    // always get a stamp from this broker, and the age of a value is at worst its arrival's.
    std::optional<StatusSource> stamp;
    if (frames.size() >= 3) stamp = st::read_stamp(text(frames[2]));
    zmq::message_t stamp_frame;
    if (stamp) {
      stamp_frame = std::move(frames[2]);  // read and found sound: passed on as it came
    } else {
      stamp.emplace();
      stamp->emitted = std::chrono::system_clock::now();
      stamp_frame = frame(st::write_stamp(*stamp));
    }
    frames.resize(2);
    const auto seq = std::to_string(++seq_);
    frames.push_back(frame(seq));
    frames.push_back(std::move(stamp_frame));
    tree_.merge_written(st::join(path), body, &*stamp, connection);
    connections_[connection] = Connection{now, false};
  } catch (...) {
    // An allocation failure: the update still goes through.
  }
}

std::vector<StatusCache::Frames> StatusCache::flag_stale(std::uint64_t connection, std::string_view reason) {
  std::vector<Frames> notices;
  for (const auto& source : tree_.mark_stale_written_by(connection)) {
    Frames notice;
    notice.push_back(frame(std::string(st::stale_prefix) + source.path));
    notice.push_back(frame(st::write_stale_notice(source, reason)));
    notice.push_back(frame(std::to_string(++seq_)));
    notices.push_back(std::move(notice));
  }
  return notices;
}

std::vector<StatusCache::Frames> StatusCache::on_connection_closed(std::uint64_t connection) noexcept {
  try {
    connections_.erase(connection);
    return flag_stale(connection, "disconnected");
  } catch (...) {
    return {};
  }
}

std::vector<StatusCache::Frames> StatusCache::on_timer(Clock::time_point now) noexcept {
  std::vector<Frames> notices;
  if (stale_after_.count() <= 0) return notices;
  try {
    for (auto& [id, connection] : connections_) {
      if (connection.silent || now - connection.last_heard < stale_after_) continue;
      connection.silent = true;
      for (auto& notice : flag_stale(id, "silent")) notices.push_back(std::move(notice));
    }
  } catch (...) {
  }
  return notices;
}

StatusCache::Clock::time_point StatusCache::next_check() const noexcept {
  auto next = Clock::time_point::max();
  if (stale_after_.count() <= 0) return next;
  for (const auto& [id, connection] : connections_)
    if (!connection.silent) next = std::min(next, connection.last_heard + stale_after_);
  return next;
}

std::optional<StatusCache::Frames> StatusCache::on_subscription(const zmq::message_t& message) noexcept {
  if (message.size() < 2 || message.data<char>()[0] != 1) return std::nullopt;
  const std::string_view topic(message.data<char>() + 1, message.size() - 1);
  try {
    const auto masks = st::parse_snapshot_request(topic);
    if (!masks) return std::nullopt;
    const auto cut = tree_.cut(*masks);
    Frames reply;
    reply.push_back(frame(topic));
    reply.push_back(frame(cut.dump()));
    reply.push_back(frame(std::to_string(seq_)));
    reply.push_back(frame(st::write_sources(cut.sources())));
    return reply;
  } catch (...) {
    return std::nullopt;  // a malformed mask: no answer; the subscriber gives up waiting
  }
}

}  // namespace roc::detail
