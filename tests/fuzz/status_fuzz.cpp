// Fuzzes the status tree as publishers and subscribers drive it: dotted paths and masks, merge
// patches into a StatusTree, cuts to masks, and the broker's StatusCache fed publisher frames and
// snapshot-request subscriptions. Each step is an op byte followed by length-prefixed pieces
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
  roc::detail::StatusCache cache;

  for (int step = 0; step < 32 && !input.empty(); ++step) {
    switch (input.byte() % 5) {
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
      case 3: {  // a publisher's message through the broker's cache
        std::vector<zmq::message_t> frames;
        for (int n = input.byte() % 4; n > 0; --n) frames.push_back(frame(input.piece()));
        cache.on_publish(frames);
        break;
      }
      case 4: {  // a subscription (maybe a snapshot request) at the broker's XPUB
        const auto reply = cache.on_subscription(frame(input.piece()));
        if (reply) {
          check(reply->size() == 3);
          rapidjson::Document doc;
          check(!roc::json::read(doc, {(*reply)[1].data<char>(), (*reply)[1].size()}, ~0u));
        }
        break;
      }
    }
  }
  check_printable(tree);
  check_printable(cache.tree());
  return 0;
}
