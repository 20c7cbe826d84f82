// Status tree semantics without sockets: paths, merge patch, masks cut by whole segments,
// the broker cache's stamping and snapshot answers.
#include <doctest/doctest.h>

#include <roc/status.hpp>

#include "broker/status_cache.hpp"
#include "wire/status_protocol.hpp"

#include <string>
#include <vector>

namespace st = roc::detail::status;
using roc::json::Json;

namespace {

roc::StatusTree tree_of(const char* json) {
  roc::StatusTree t;
  t.merge("", Json::parse(json).value());
  return t;
}

/// The update at `path` as a subscriber with `masks` sees it, as compact JSON; "" when dropped.
std::string seen(const std::vector<std::string>& masks, const char* path, const char* body) {
  Json out;
  if (!st::cut(st::split(path), Json::parse(body).value(), st::normalize_masks(masks), out.value(),
               out.allocator()))
    return "";
  return out.dump();
}

std::vector<zmq::message_t> frames(std::string_view topic, std::string_view body) {
  std::vector<zmq::message_t> f;
  f.emplace_back(topic.data(), topic.size());
  f.emplace_back(body.data(), body.size());
  return f;
}

std::string text(const zmq::message_t& m) { return std::string(m.data<char>(), m.size()); }

}  // namespace

TEST_CASE("status paths are dotted segments, never empty ones") {
  CHECK(roc::split_status_path("system.foo") == std::vector<std::string>{"system", "foo"});
  CHECK(roc::split_status_path("").empty());
  CHECK_THROWS_AS(roc::split_status_path("a..b"), std::invalid_argument);
  CHECK_THROWS_AS(roc::split_status_path(".a"), std::invalid_argument);
  CHECK_THROWS_AS(roc::split_status_path("a."), std::invalid_argument);
}

TEST_CASE("masks match whole path segments in both directions") {
  CHECK(roc::status_path_matches("system.foo", "system.foo"));
  CHECK(roc::status_path_matches("system.foo", "system.foo.cpu"));
  CHECK(roc::status_path_matches("system.foo", "system"));
  CHECK_FALSE(roc::status_path_matches("system.foo", "system.foobar"));
  CHECK_FALSE(roc::status_path_matches("system.foo", "systems"));
  CHECK(roc::status_path_matches("", "anything.at.all"));
}

TEST_CASE("a tree deep-merges partial updates by JSON Merge Patch rules") {
  roc::StatusTree t;
  t.merge("system.foo", Json::parse(R"({"cpu":0.3})").value());
  CHECK(t.dump() == R"({"system":{"foo":{"cpu":0.3}}})");
  t.merge("system", Json::parse(R"({"foo":{"mem":1},"bar":2})").value());
  CHECK(t == tree_of(R"({"system":{"foo":{"cpu":0.3,"mem":1},"bar":2}})"));

  SUBCASE("null removes") {
    t.merge("system.foo.cpu", Json::parse("null").value());
    CHECK(t == tree_of(R"({"system":{"foo":{"mem":1},"bar":2}})"));
    t.merge("system", Json::parse(R"({"foo":null})").value());
    CHECK(t == tree_of(R"({"system":{"bar":2}})"));
  }
  SUBCASE("scalars and arrays replace") {
    t.merge("system.foo", Json::parse("[1,2]").value());
    CHECK(t == tree_of(R"({"system":{"foo":[1,2],"bar":2}})"));
  }
  SUBCASE("find walks segments") {
    REQUIRE(t.find("system.foo.mem"));
    CHECK(t.find("system.foo.mem")->GetInt() == 1);
    CHECK(t.find("system.fo") == nullptr);
  }
}

TEST_CASE("an update is cut to the masks by whole segments") {
  SUBCASE("system.foo does not deliver system.foobar") {
    CHECK(seen({"system.foo"}, "system.foobar", R"({"x":1})") == "");
    CHECK(seen({"system.foo"}, "system.foo", R"({"x":1})") == R"({"x":1})");
    CHECK(seen({"system.foo"}, "system.foo.x", "1") == "1");
  }
  SUBCASE("an update above the mask delivers only the masked part") {
    CHECK(seen({"system.foo"}, "system", R"({"foo":{"a":1},"foobar":{"b":2},"bar":3})") ==
          R"({"foo":{"a":1}})");
    CHECK(seen({"system.foo"}, "system", R"({"bar":3})") == "");
    CHECK(seen({"a.b.c"}, "a", R"({"b":{"c":{"d":1},"e":2}})") == R"({"b":{"c":{"d":1}}})");
  }
  SUBCASE("several masks keep the union; a broader mask covers a narrower one") {
    CHECK(seen({"system.foo", "system.bar"}, "system", R"({"foo":1,"bar":2,"baz":3})") ==
          R"({"foo":1,"bar":2})");
    CHECK(seen({"system", "system.foo"}, "system", R"({"foo":1,"bar":2})") == R"({"foo":1,"bar":2})");
  }
  SUBCASE("no mask keeps everything") { CHECK(seen({}, "a", R"({"x":1})") == R"({"x":1})"); }
  SUBCASE("ZeroMQ prefixes are as broad as the first segment") {
    CHECK(st::zmq_prefixes(st::normalize_masks({"system.foo", "system.bar", "dev"})) ==
          std::vector<std::string>{"status.dev", "status.system"});
    CHECK(st::zmq_prefixes(st::normalize_masks({})) == std::vector<std::string>{"status."});
  }
}

TEST_CASE("a tree cut to masks keeps the masks' ancestors") {
  const auto t = tree_of(R"({"system":{"foo":{"a":1},"foobar":2},"dev":{"x":1}})");
  CHECK(t.cut({"system.foo"}) == tree_of(R"({"system":{"foo":{"a":1}}})"));
  CHECK(t.cut({"dev", "system.foobar"}) == tree_of(R"({"system":{"foobar":2},"dev":{"x":1}})"));
  CHECK(t.cut({}) == t);
  CHECK(t.cut({"nothing"}) == roc::StatusTree{});
}

TEST_CASE("the broker cache numbers status updates, merges them and answers snapshots") {
  roc::detail::StatusCache cache;
  auto a = frames("status.system.foo", R"({"cpu":1})");
  cache.on_publish(a);
  REQUIRE(a.size() == 4);  // [topic, body, seq, stamp]
  CHECK(text(a[2]) == "1");
  CHECK(!st::read_stamp(text(a[3]))->publisher.known());  // sent without a stamp: the broker's
  auto b = frames("status.system", R"({"bar":2})");
  b.emplace_back("junk", 4);
  b.emplace_back("more", 4);
  cache.on_publish(b);
  REQUIRE(b.size() == 4);  // "junk" is no stamp: replaced by the broker's
  CHECK(text(b[2]) == "2");
  auto log = frames("log.info.x", "{}");
  cache.on_publish(log);
  CHECK(log.size() == 2);
  auto bad = frames("status.x", "not json");
  cache.on_publish(bad);
  CHECK(bad.empty());  // dropped without a number: subscribers see no gap
  CHECK(cache.dropped() == 1);

  const auto topic = st::snapshot_request("t0k3n", {"system.foo"});
  std::string sub = "\x01" + topic;
  auto reply = cache.on_subscription(zmq::message_t(sub.data(), sub.size()));
  REQUIRE(reply);
  REQUIRE(reply->size() == 4);  // [topic, tree, seq, sources]
  CHECK(text((*reply)[0]) == topic);
  CHECK(text((*reply)[1]) == R"({"system":{"foo":{"cpu":1}}})");
  CHECK(text((*reply)[2]) == "2");

  std::string plain = "\x01status.system";
  CHECK_FALSE(cache.on_subscription(zmq::message_t(plain.data(), plain.size())));
  std::string unsub = "\x00" + topic;
  CHECK_FALSE(cache.on_subscription(zmq::message_t(unsub.data(), unsub.size())));
}

TEST_CASE("the broker cache drops updates too deep to keep, counting the path's segments") {
  roc::detail::StatusCache cache;
  auto deep_body = frames("status.x", std::string(100000, '[') + std::string(100000, ']'));
  cache.on_publish(deep_body);
  CHECK(deep_body.empty());
  std::string long_path = "status.a";
  for (int i = 0; i < 100000; ++i) long_path += ".a";
  auto deep_path = frames(long_path, "{}");
  cache.on_publish(deep_path);
  CHECK(deep_path.empty());
  auto bad_path = frames("status.a..b", "{}");
  cache.on_publish(bad_path);
  CHECK(bad_path.empty());
  CHECK(cache.dropped() == 3);

  // 255 path segments leave the body one level of its own: the tree is then 256 levels deep.
  std::string path_255 = "status.p";
  for (int i = 1; i < 255; ++i) path_255 += ".p";
  auto fits = frames(path_255, "1");
  cache.on_publish(fits);
  REQUIRE(fits.size() == 4);
  CHECK(text(fits[2]) == "1");
  auto one_more = frames(path_255, "[1]");
  cache.on_publish(one_more);
  CHECK(one_more.size() == 4);
  auto too_deep = frames(path_255, "[[1]]");
  cache.on_publish(too_deep);
  CHECK(too_deep.empty());
  CHECK(cache.dropped() == 4);
  CHECK(cache.tree().dump().size() > 255 * 5);  // the tree took what fitted and can be written
}

TEST_CASE("a status path that is not UTF-8 is refused: its segments would become JSON keys") {
  CHECK_THROWS_AS(roc::split_status_path("status.c\xadmera"), std::invalid_argument);
  CHECK(roc::split_status_path("caméra.t").size() == 2);
}
