// Fuzzes the status tree as publishers and subscribers drive it: dotted paths and masks, merge
// patches into a StatusTree (with sources), cuts to masks, stamps, stale notices and snapshot
// sources frames, and the broker's StatusCache fed publisher frames from several connections,
// connections closing, silence timers and snapshot-request subscriptions. Each step is an op byte followed by length-prefixed pieces
// (fuzz_input.hpp). Paths either split or throw std::invalid_argument; trees stay printable JSON.
#include "fuzz_input.hpp"
#include "broker/status_cache.hpp"
#include "wire/status_protocol.hpp"

#include <roc/json_reader.hpp>
#include <roc/status.hpp>

#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace st = roc::detail::status;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::optional<st::Path> split(std::string_view path) {
  try {
    auto a = roc::split_status_path(path);
    check(a == st::split(path));  // the public and the internal spelling are one rule
    return a;
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

void check_printable(const roc::StatusTree& tree) {
  check(tree.root().IsObject());
  rapidjson::Document doc;
  check(!roc::json::read(doc, tree.dump(), ~0u));
}

zmq::message_t frame(std::string_view text) { return zmq::message_t(text.data(), text.size()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roc::fuzz::Input input(data, size);
  roc::StatusTree tree;
  roc::detail::StatusCache cache(std::chrono::milliseconds(100));
  auto now = roc::detail::StatusCache::Clock::time_point{};

  for (int step = 0; step < 32 && !input.empty(); ++step) {
    switch (input.byte() % 8) {
      case 0: {  // a path against a mask
        const auto mask = input.piece();
        const auto path = input.piece();
        const auto m = split(mask), p = split(path);
        bool matches = false;
        try {
          matches = roc::status_path_matches(mask, path);
        } catch (const std::invalid_argument&) {
          check(!m || !p);
          break;
        }
        if (m && p) check(matches == (st::is_prefix(*m, *p) || st::is_prefix(*p, *m)));
        if (m) check(st::join(*m) == mask);
        break;
      }
      case 1: {  // a partial update merged at a path
        const auto path = input.piece();
        rapidjson::Document value;
        if (roc::json::read(value, input.piece())) break;
        try {
          tree.merge(path, value);
          check(split(path).has_value());
        } catch (const std::invalid_argument&) {
          const auto p = split(path);
          check(!p || (p->empty() && !value.IsObject()));  // a malformed path, or a root that is no object
        }
        break;
      }
      case 2: {  // the tree cut to masks
        std::vector<std::string> masks;
        for (int n = input.byte() % 4; n > 0; --n) masks.emplace_back(input.piece());
        try {
          check_printable(tree.cut(masks));
        } catch (const std::invalid_argument&) {
        }
        break;
      }
      case 3: {  // a publisher's message through the broker's cache, on one of four connections
        const std::uint64_t connection = input.byte() % 4;
        std::vector<zmq::message_t> frames;
        for (int n = input.byte() % 4; n > 0; --n) frames.push_back(frame(input.piece()));
        const bool status = !frames.empty() && frames[0].size() >= st::topic_prefix.size() &&
                            std::string_view(frames[0].data<char>(), st::topic_prefix.size()) == st::topic_prefix;
        cache.on_publish(frames, connection, now);
        if (status && !frames.empty()) {  // numbered and stamped: [topic, body, seq, stamp]
          check(frames.size() == 4);
          check(st::read_stamp({frames[3].data<char>(), frames[3].size()}).has_value());
        }
        break;
      }
      case 4: {  // a subscription (maybe a snapshot request) at the broker's XPUB
        const auto reply = cache.on_subscription(frame(input.piece()));
        if (reply) {
          check(reply->size() == 4);
          rapidjson::Document doc;
          check(!roc::json::read(doc, {(*reply)[1].data<char>(), (*reply)[1].size()}, ~0u));
          check(st::read_sources({(*reply)[3].data<char>(), (*reply)[3].size()}).has_value());
        }
        break;
      }
      case 5: {  // a connection closes, or time passes: stale notices, each readable
        std::vector<std::vector<zmq::message_t>> notices;
        if (input.byte() % 2) {
          notices = cache.on_connection_closed(input.byte() % 4);
        } else {
          now += std::chrono::milliseconds(input.byte());
          notices = cache.on_timer(now);
        }
        for (const auto& n : notices) {
          check(n.size() == 3);
          const std::string_view topic(n[0].data<char>(), n[0].size());
          check(topic.substr(0, st::stale_prefix.size()) == st::stale_prefix);
          check(st::read_stamp({n[1].data<char>(), n[1].size()}).has_value());
        }
        break;
      }
      case 6: {  // a stamp or a sources frame as a receiver reads it, and written back the same
        const auto text = input.piece();
        if (const auto stamp = st::read_stamp(text)) {
          const auto again = st::read_stamp(st::write_stamp(*stamp));
          check(again && again->publisher == stamp->publisher);
        }
        if (const auto sources = st::read_sources(text)) {
          const auto again = st::read_sources(st::write_sources(*sources));
          check(again && again->size() == sources->size());
          roc::StatusTree copy = tree;
          copy.reset(tree.root(), *sources);
          check(copy.sources().size() <= sources->size());
        }
        break;
      }
      case 7: {  // a merge with a source, or a stale notice, at a path
        const auto path = input.piece();
        rapidjson::Document value;
        if (roc::json::read(value, input.piece())) break;
        roc::StatusSource source;
        source.publisher.program = std::string(input.piece());
        try {
          if (input.byte() % 2) {
            tree.merge(path, value, source);
          } else {
            source.path = st::join(st::split(path));
            tree.mark_stale(source);
          }
          for (const auto& s : tree.sources()) check(split(s.path).has_value());
        } catch (const std::invalid_argument&) {
        }
        break;
      }
    }
  }
  check_printable(tree);
  check_printable(cache.tree());
  return 0;
}
