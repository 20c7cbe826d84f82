// roc::log::Subscription: log records from the broker's XPUB, read with the nesting limit, checked
// member by member, filtered by level and node (see log_subscriber.hpp).
#include "transport/subscriber.hpp"

#include <roc/json_reader.hpp>
#include <roc/log_subscriber.hpp>

#include <algorithm>
#include <stdexcept>

namespace roc::log {

namespace {

using Clock = std::chrono::steady_clock;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the only form PROTOCOL §5.1 allows.
std::optional<std::chrono::system_clock::time_point> parse_ts(std::string_view s) {
  auto digits = [&](std::size_t at, std::size_t n, unsigned& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned year, month, day, hour, minute, second;
  if (s.size() < 20 || !digits(0, 4, year) || s[4] != '-' || !digits(5, 2, month) || s[7] != '-' ||
      !digits(8, 2, day) || s[10] != 'T' || !digits(11, 2, hour) || s[13] != ':' || !digits(14, 2, minute) ||
      s[16] != ':' || !digits(17, 2, second))
    return std::nullopt;
  static constexpr unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1] || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::size_t at = 19;
  long long nanos = 0;
  if (s[at] == '.') {
    ++at;
    long long scale = 100000000;
    const std::size_t first = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      nanos += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == first || at - first > 9) return std::nullopt;
  }
  if (at + 1 != s.size() || s[at] != 'Z') return std::nullopt;
  const long long secs = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  using namespace std::chrono;
  return system_clock::time_point(duration_cast<system_clock::duration>(seconds(secs) + nanoseconds(nanos)));
}

/// Where a member is absent, present with the type wanted, or present with another.
enum class Member { absent, ok, wrong };

Member string_member(const rapidjson::Value& v, const char* name, std::string& out) {
  const auto it = v.FindMember(name);
  if (it == v.MemberEnd()) return Member::absent;
  if (!it->value.IsString()) return Member::wrong;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return Member::ok;
}

bool valid_node(const std::string& node) { return !node.empty() && node.find('.') == std::string::npos; }

}  // namespace

std::optional<Record> parse_record(std::string_view body) {
  if (body.size() > max_record_bytes) return std::nullopt;
  rapidjson::Document d;
  if (json::read(d, body) || !d.IsObject()) return std::nullopt;
  Record r;
  std::string level;
  if (string_member(d, "ts", r.ts) != Member::ok || string_member(d, "level", level) != Member::ok ||
      string_member(d, "node", r.node) != Member::ok || string_member(d, "msg", r.msg) != Member::ok ||
      string_member(d, "logger", r.logger) == Member::wrong)
    return std::nullopt;
  const auto time = parse_ts(r.ts);
  if (!time) return std::nullopt;
  r.time = *time;
  r.level = spdlog::level::from_str(level);  // also takes spdlog's short forms, `warn` and `err`
  if (r.level == spdlog::level::off || r.node.empty()) return std::nullopt;
  if (const auto it = d.FindMember("file"); it != d.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) return std::nullopt;
    r.file.emplace(it->value.GetString(), it->value.GetStringLength());
  }
  if (const auto it = d.FindMember("line"); it != d.MemberEnd()) {
    if (!it->value.IsInt()) return std::nullopt;
    r.line = it->value.GetInt();
  }
  if (const auto it = d.FindMember("thread"); it != d.MemberEnd()) {
    if (!it->value.IsUint64()) return std::nullopt;
    r.thread = it->value.GetUint64();
  }
  r.body.assign(body.data(), body.size());
  return r;
}

struct Subscription::Impl {
  Impl(const Endpoints& endpoints, Filter f, std::chrono::milliseconds timeout)
      : filter(std::move(f)), timeout(timeout), socket(endpoints) {
    if (filter.min_level < spdlog::level::trace || filter.min_level >= spdlog::level::off)
      throw std::invalid_argument("a log filter's minimum level must be trace … critical");
    for (const auto& node : filter.nodes)
      if (!valid_node(node))
        throw std::invalid_argument("log node name '" + node + "' can never match: nodes are non-empty, without dots");
    // Topics are log.<level>.<node>: the broker sends only what these prefixes select.
    if (filter.min_level == spdlog::level::trace && filter.nodes.empty()) {
      socket.subscribe("log.");
      return;
    }
    for (int l = filter.min_level; l < spdlog::level::off; ++l) {
      const auto name = spdlog::level::to_string_view(static_cast<spdlog::level::level_enum>(l));
      const auto prefix = "log." + std::string(name.data(), name.size()) + ".";
      if (filter.nodes.empty()) socket.subscribe(prefix);
      for (const auto& node : filter.nodes) socket.subscribe(prefix + node);
    }
  }

  bool passes(const Record& r) const {
    return r.level >= filter.min_level &&
           (filter.nodes.empty() || std::find(filter.nodes.begin(), filter.nodes.end(), r.node) != filter.nodes.end());
  }

  std::optional<Record> next(Clock::time_point deadline) {
    std::vector<zmq::message_t> frames;
    // receive() also returns early when the connection comes or goes: next() then returns none,
    // and the caller sees connected() change.
    while (socket.receive(frames, deadline)) {
      // Frames after the body are the broker's or a future extension's: ignored (PROTOCOL §5).
      if (frames.size() < 2) {
        ++dropped;
        continue;
      }
      auto record = parse_record({frames[1].data<char>(), frames[1].size()});
      if (!record) {
        ++dropped;
        continue;
      }
      if (passes(*record)) return record;
    }
    return std::nullopt;
  }

  Filter filter;
  std::chrono::milliseconds timeout;
  detail::Subscriber socket;
  std::uint64_t dropped = 0;
};

Subscription::Subscription(const Endpoints& endpoints, Filter filter, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(endpoints, std::move(filter), timeout)) {}
Subscription::~Subscription() = default;
Subscription::Subscription(Subscription&&) noexcept = default;
Subscription& Subscription::operator=(Subscription&&) noexcept = default;

std::optional<Record> Subscription::next(std::chrono::milliseconds timeout) {
  return impl_->next(Clock::now() + timeout);
}
std::optional<Record> Subscription::next() { return next(impl_->timeout); }
std::uint64_t Subscription::dropped() const noexcept { return impl_->dropped; }
bool Subscription::connected() const noexcept { return impl_->socket.connected(); }
const std::string& Subscription::link_failure() const noexcept { return impl_->socket.link_failure(); }
const std::string& Subscription::endpoint() const noexcept { return impl_->socket.endpoint(); }
const Filter& Subscription::filter() const noexcept { return impl_->filter; }

Subscription records(const Endpoints& endpoints, Filter filter, std::chrono::milliseconds timeout) {
  return Subscription(endpoints, std::move(filter), timeout);
}

}  // namespace roc::log
