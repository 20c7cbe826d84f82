// StatusSubscription: a SUB socket on the broker's XPUB, the snapshot handshake, sequence
// checks, and cutting each update to the masks by whole path segments.
#include "wire/status_protocol.hpp"
#include "transport/subscriber.hpp"

#include <roc/status.hpp>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <stdexcept>

namespace roc {

namespace st = detail::status;
using Clock = std::chrono::steady_clock;

namespace {

std::string random_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(16, '0');
  auto v = rng();
  for (auto& c : out) {
    c = hex[v & 15];
    v >>= 4;
  }
  return out;
}

std::string_view frame_text(const zmq::message_t& m) { return {m.data<char>(), m.size()}; }

}  // namespace

struct StatusSubscription::Impl {
  Impl(const Endpoints& endpoints, std::vector<std::string> mask_list,
       std::chrono::milliseconds timeout, bool want_snapshot)
      : masks(std::move(mask_list)), normalized(st::normalize_masks(masks)), timeout(timeout),
        socket(endpoints) {
    for (const auto& prefix : st::zmq_prefixes(normalized)) socket.subscribe(prefix);
    for (const auto& prefix : st::zmq_prefixes(normalized, st::stale_prefix)) socket.subscribe(prefix);
    if (want_snapshot) {
      ask_snapshot();
      // A broker without a status cache never answers; live updates flow anyway after this.
      give_up = Clock::now() + std::max(timeout * 10, std::chrono::milliseconds(10000));
    } else {
      synced = true;
    }
  }

  /// The next update within `deadline`, or an empty one.
  StatusUpdate next(Clock::time_point deadline) {
    while (true) {
      if (synced && !held.empty()) {
        auto u = std::move(held.front());
        held.pop_front();
        return u;
      }
      const auto now = Clock::now();
      if (!synced && now >= retry_at) ask_snapshot();  // the answer may have been dropped (HWM)
      if (!synced && now >= give_up) {
        synced = true;  // deliver what was held back
        unsubscribe_request();
        continue;
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min(deadline, synced ? deadline : std::min(give_up, retry_at)) - now);
      if (wait.count() < 0) wait = std::chrono::milliseconds(0);
      std::vector<zmq::message_t> frames;
      if (!socket.receive(frames, now + wait)) {
        if (Clock::now() >= deadline || socket.link_changed()) return {};
        continue;
      }
      if (auto u = take(frames)) {
        if (synced) return std::move(*u);
        held.push_back(std::move(*u));
      }
      if (Clock::now() >= deadline && !(synced && !held.empty())) return {};
    }
  }

  /// Turns frames into an update under the masks, or nullopt when they do not concern us.
  std::optional<StatusUpdate> take(std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2) return std::nullopt;
    const auto topic = frame_text(frames[0]);
    const std::uint64_t seq = frames.size() >= 3 ? st::parse_seq(frame_text(frames[2])).value_or(0) : 0;
    StatusUpdate u;
    u.seq = seq;
    u.valid = true;
    const auto body = frame_text(frames[1]);
    rapidjson::Document doc;
    const bool is_snapshot = !request.empty() && topic == request;
    if (topic.substr(0, st::stale_prefix.size()) == st::stale_prefix) return take_stale_notice(topic, body, u);
    st::Path path;
    if (!is_snapshot) {
      if (topic.substr(0, st::topic_prefix.size()) != st::topic_prefix) return std::nullopt;
      try {
        path = st::split(topic.substr(st::topic_prefix.size()));
      } catch (const std::invalid_argument& error) {
        return drop(error.what());
      }
    }
    if (auto error = st::read_body(doc, path.size(), body)) return drop(error.message);

    if (is_snapshot) {
      u.snapshot = true;
      if (!doc.IsObject()) doc.SetObject();
      u.value.value().CopyFrom(doc, u.value.allocator());
      if (frames.size() >= 4)
        if (auto sources = st::read_sources(frame_text(frames[3]))) u.sources = std::move(*sources);
      snapshot_seq = seq;
      synced = true;
      unsubscribe_request();
      // Live updates the snapshot already reflects were delivered before it: drop them.
      std::deque<StatusUpdate> later;
      for (auto& h : held)
        if (h.seq > snapshot_seq) later.push_back(std::move(h));
      held.swap(later);
      held.push_front(std::move(u));
      auto first = std::move(held.front());
      held.pop_front();
      return first;
    }
    if (!st::cut(path, doc, normalized, u.value.value(), u.value.allocator())) return std::nullopt;
    u.path = st::join(path);
    if (frames.size() >= 4)
      if (auto stamp = st::read_stamp(frame_text(frames[3]))) {
        stamp->path = u.path;
        u.sources.push_back(std::move(*stamp));
      }
    return u;
  }

  /// A stale notice for a path under or above a mask; nullopt for others and for unreadable ones
  /// (which no broker sends: dropped without a count).
  std::optional<StatusUpdate> take_stale_notice(std::string_view topic, std::string_view body, StatusUpdate& u) {
    st::Path path;
    try {
      path = st::split(topic.substr(st::stale_prefix.size()));
    } catch (const std::invalid_argument&) {
      return std::nullopt;
    }
    if (std::none_of(normalized.begin(), normalized.end(), [&](const st::Path& m) { return st::related(m, path); }))
      return std::nullopt;
    auto source = st::read_stamp(body);
    if (!source) return std::nullopt;
    source->path = st::join(path);
    source->stale = true;
    u.path = source->path;
    u.stale = true;
    u.value.value().SetObject();
    u.sources.push_back(std::move(*source));
    return std::move(u);
  }

  /// Counts an update that cannot be read and says so in the log: the first time, then at most
  /// once a minute with the count, so a flood of garbage cannot flood the log too.
  std::nullopt_t drop(std::string_view why) {
    ++dropped;
    const auto now = Clock::now();
    if (dropped == 1 || now >= next_drop_log) {
      spdlog::warn("roc status: dropped an update that cannot be read ({} dropped so far): {}", dropped,
                   why.substr(0, 200));
      next_drop_log = now + std::chrono::minutes(1);
    }
    return std::nullopt;
  }

  /// Subscribes to a fresh snapshot request (after the mask subscriptions on the same socket,
  /// so the broker has applied those when it sees this), replacing an unanswered one.
  void ask_snapshot() {
    unsubscribe_request();
    request = st::snapshot_request(random_token(), masks);
    socket.subscribe(request);
    retry_at = Clock::now() + std::chrono::milliseconds(1000);
  }

  void unsubscribe_request() {
    if (request.empty()) return;
    socket.unsubscribe(request);
    request.clear();
  }

  std::vector<std::string> masks;
  std::vector<st::Path> normalized;
  std::chrono::milliseconds timeout;
  detail::Subscriber socket;
  std::string request;            // the snapshot request topic while it is outstanding
  bool synced = false;            // snapshot received or given up on
  std::uint64_t snapshot_seq = 0;
  Clock::time_point give_up{};
  Clock::time_point retry_at = Clock::time_point::max();
  std::deque<StatusUpdate> held;  // live updates that came before the snapshot
  std::uint64_t dropped = 0;      // updates that could not be read
  Clock::time_point next_drop_log{};
};

StatusSubscription::StatusSubscription(const Endpoints& endpoints, std::vector<std::string> masks,
                                       std::chrono::milliseconds timeout, bool want_snapshot)
    : impl_(std::make_unique<Impl>(endpoints, std::move(masks), timeout, want_snapshot)) {}
StatusSubscription::~StatusSubscription() = default;
StatusSubscription::StatusSubscription(StatusSubscription&&) noexcept = default;
StatusSubscription& StatusSubscription::operator=(StatusSubscription&&) noexcept = default;

StatusUpdate StatusSubscription::next(std::chrono::milliseconds timeout) {
  return impl_->next(Clock::now() + timeout);
}
StatusUpdate StatusSubscription::next() { return next(impl_->timeout); }
bool StatusSubscription::synced() const noexcept { return impl_->synced; }
std::uint64_t StatusSubscription::dropped() const noexcept { return impl_->dropped; }
const std::vector<std::string>& StatusSubscription::masks() const noexcept { return impl_->masks; }

StatusSubscription status_updates(const Endpoints& endpoints, std::vector<std::string> masks,
                                  std::chrono::milliseconds timeout) {
  return StatusSubscription(endpoints, std::move(masks), timeout);
}

bool StatusSubscription::connected() const noexcept { return impl_->socket.connected(); }
const std::string& StatusSubscription::link_failure() const noexcept { return impl_->socket.link_failure(); }
const std::string& StatusSubscription::endpoint() const noexcept { return impl_->socket.endpoint(); }

}  // namespace roc
