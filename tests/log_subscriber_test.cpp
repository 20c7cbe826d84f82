// roc::log::Subscription through a real broker and the real publishing sink: typed records,
// filters, a hostile publisher's garbage dropped and counted, and the connection state (also of
// StatusSubscription) when nothing accepts connections or the broker comes and goes.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/json.hpp>
#include <roc/log.hpp>
#include <roc/log_subscriber.hpp>
#include <roc/status.hpp>

#include "log_test_support.hpp"
#include "support/test_support.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <set>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

roc::BrokerOptions local_broker(const std::string& bind = "127.0.0.1:0") {
  roc::BrokerOptions options;
  options.bind = bind;
  return options;
}

std::shared_ptr<spdlog::logger> publishing_logger(const std::string& name, const roc::Endpoints& endpoints,
                                                  const std::string& node) {
  auto logger = std::make_shared<spdlog::logger>(name);
  logger->set_level(spdlog::level::trace);
  logger->sinks().push_back(std::make_shared<roc::log::Sink>(endpoints, node));
  return logger;
}

/// Calls `publish` and reads the subscription until a record with `msg` arrives (records
/// published before the subscription reached the broker are lost, so publish again each round).
std::optional<roc::log::Record> publish_until_seen(roc::log::Subscription& sub, const std::string& msg,
                                                   const std::function<void()>& publish,
                                                   std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    publish();
    const auto round = Clock::now() + 100ms;
    while (Clock::now() < round)
      if (auto r = sub.next(20ms); r && r->msg == msg) return r;
  }
  return std::nullopt;
}

/// A valid record body (PROTOCOL §5.1) with `msg`, as a third-party publisher would write it.
std::string body(const std::string& msg, const std::string& node = "evil") {
  return R"({"ts":"2026-11-22T02:31:07.854123Z","level":"info","node":")" + node + R"(","logger":"raw","msg":")" +
         msg + R"(","file":null,"line":0,"thread":1})";
}

}  // namespace

TEST_CASE("records published through the broker arrive typed, with every field") {
  roc::Broker broker(local_broker());
  broker.start();
  auto sub = roc::log::records(broker.endpoints(), {}, 100ms);
  auto logger = publishing_logger("typed", broker.endpoints(), "typed-node");
  REQUIRE(publish_until_seen(sub, "probe", [&] { logger->info("probe"); }));

  const auto before = std::chrono::system_clock::now();
  auto r = publish_until_seen(sub, "shutter opened", [&] { SPDLOG_LOGGER_WARN(logger, "shutter {}", "opened"); });
  REQUIRE(r);
  CHECK(r->level == spdlog::level::warn);
  CHECK(r->node == "typed-node");
  CHECK(r->logger == "typed");
  REQUIRE(r->file);
  CHECK(r->file->find("log_subscriber_test.cpp") != std::string::npos);
  CHECK(r->line > 0);
  CHECK(r->thread != 0);
  CHECK(r->ts.back() == 'Z');
  CHECK(r->time >= before - 1s);  // the sink's clock is the system clock; ts has microseconds
  CHECK(r->time <= std::chrono::system_clock::now() + 1s);
  const auto j = roc::json::Json::parse(r->body);
  CHECK(j.value()["msg"] == "shutter opened");
  CHECK(sub.dropped() == 0);
  CHECK(sub.connected());

  SUBCASE("a record without a file has none, and the range form yields nothing while quiet") {
    auto plain = publish_until_seen(sub, "no location", [&] { logger->error("no location"); });
    REQUIRE(plain);
    CHECK_FALSE(plain->file);
    CHECK(plain->level == spdlog::level::err);
    int empty = 0;
    for (auto& record : sub) {
      if (!record) ++empty;
      if (empty == 2) break;
    }
    CHECK(empty == 2);
  }
}

TEST_CASE("a log filter delivers the minimum level and above, from the named nodes only") {
  roc::Broker broker(local_broker());
  broker.start();
  roc::log::Filter filter;
  filter.min_level = spdlog::level::warn;
  filter.nodes = {"cam", "spec"};
  auto sub = roc::log::records(broker.endpoints(), filter, 100ms);
  auto cam = publishing_logger("l", broker.endpoints(), "cam");
  auto camera = publishing_logger("l", broker.endpoints(), "camera");  // `cam` is its prefix
  auto spec = publishing_logger("l", broker.endpoints(), "spec");
  auto other = publishing_logger("l", broker.endpoints(), "other");
  REQUIRE(publish_until_seen(sub, "probe", [&] { cam->warn("probe"); }));
  REQUIRE(publish_until_seen(sub, "probe", [&] { spec->warn("probe"); }));

  for (auto* l : {&cam, &camera, &spec, &other}) {
    (*l)->info("info");
    (*l)->warn("warn");
    (*l)->critical("critical");
  }
  std::multiset<std::string> seen;
  const auto deadline = Clock::now() + 10s;
  while (seen.size() < 4 && Clock::now() < deadline)
    if (auto r = sub.next(50ms); r && r->msg != "probe") seen.insert(r->node + " " + r->msg);
  // Anything that slipped through would arrive with or right after these.
  while (auto r = sub.next(300ms))
    if (r->msg != "probe") seen.insert(r->node + " " + r->msg);
  CHECK(seen == std::multiset<std::string>{"cam warn", "cam critical", "spec warn", "spec critical"});
  CHECK(sub.dropped() == 0);

  SUBCASE("a filter that can match nothing is refused") {
    CHECK_THROWS_AS(roc::log::records(broker.endpoints(), {spdlog::level::off, {}}), std::invalid_argument);
    CHECK_THROWS_AS(roc::log::records(broker.endpoints(), {spdlog::level::info, {"a.b"}}), std::invalid_argument);
    CHECK_THROWS_AS(roc::log::records(broker.endpoints(), {spdlog::level::info, {""}}), std::invalid_argument);
  }
}

TEST_CASE("a hostile publisher's messages are dropped and counted while good records keep coming") {
  roc::Broker broker(local_broker());
  broker.start();
  auto sub = roc::log::records(broker.endpoints(), {}, 100ms);
  auto logger = publishing_logger("good", broker.endpoints(), "good-node");
  REQUIRE(publish_until_seen(sub, "probe", [&] { logger->info("probe"); }));

  // A raw XPUB on the broker's log input: it sees the broker's subscriptions, so it knows the
  // subscription above has arrived before it sends.
  zmq::context_t context(1);
  zmq::socket_t evil(context, zmq::socket_type::xpub);
  evil.set(zmq::sockopt::linger, 0);
  evil.set(zmq::sockopt::sndhwm, 0);
  evil.connect(broker.endpoints().publish());
  bool subscribed = false;
  const auto deadline = Clock::now() + 5s;
  while (!subscribed && Clock::now() < deadline) {
    auto frames = roc::test::receive(evil, 100ms);
    subscribed = !frames.empty() && frames[0].to_string_view() == std::string_view("\x01log.", 5);
  }
  REQUIRE(subscribed);

  const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
  std::string deep_object;
  for (int i = 0; i < 100000; ++i) deep_object += R"({"a":)";
  deep_object += "1" + std::string(100000, '}');
  const std::string ts = R"("ts":"2026-11-22T02:31:07.854123Z")";
  const std::vector<std::string> garbage = {
      "",
      "not json",
      "{\"ts\":",
      "\xff\xfe\x00garbage",
      deep_array,
      deep_object,
      R"({"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":"x","extra":)" + deep_array + "}",
      "[]",
      "42",
      "null",
      R"({"level":"info","node":"evil","msg":"no ts"})",
      "{" + ts + R"(,"node":"evil","msg":"no level"})",
      "{" + ts + R"(,"level":"info","msg":"no node"})",
      "{" + ts + R"(,"level":"info","node":"evil"})",
      "{" + ts + R"(,"level":5,"node":"evil","msg":"level is a number"})",
      "{" + ts + R"(,"level":"loud","node":"evil","msg":"unknown level"})",
      "{" + ts + R"(,"level":"off","node":"evil","msg":"off is not a level"})",
      "{" + ts + R"(,"level":"info","node":{},"msg":"node is an object"})",
      "{" + ts + R"(,"level":"info","node":"","msg":"empty node"})",
      "{" + ts + R"(,"level":"info","node":"evil","msg":["not","a","string"]})",
      "{" + ts + R"(,"level":"info","node":"evil","msg":"x","logger":7})",
      "{" + ts + R"(,"level":"info","node":"evil","msg":"x","file":7})",
      "{" + ts + R"(,"level":"info","node":"evil","msg":"x","line":"42"})",
      "{" + ts + R"(,"level":"info","node":"evil","msg":"x","line":1e300})",
      "{" + ts + R"(,"level":"info","node":"evil","msg":"x","thread":-1})",
      R"({"ts":123,"level":"info","node":"evil","msg":"x"})",
      R"({"ts":"yesterday","level":"info","node":"evil","msg":"x"})",
      R"({"ts":"2026-13-01T00:00:00Z","level":"info","node":"evil","msg":"x"})",
      R"({"ts":"2026-11-22T02:31:07.854123","level":"info","node":"evil","msg":"x"})",
      body(std::string(roc::log::max_record_bytes, 'x')),  // one record, too big to read
  };
  const std::string topic = "log.info.evil";
  for (const auto& g : garbage) {
    evil.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    evil.send(zmq::buffer(g), zmq::send_flags::none);
  }
  evil.send(zmq::buffer(topic), zmq::send_flags::none);  // a topic and no body
  const std::size_t sent_garbage = garbage.size() + 1;
  // Good records after the garbage: a big one within the limit, and one with extra frames
  // (ignored by receivers, PROTOCOL §5), then the marker.
  const std::string big(roc::log::max_record_bytes / 2, 'b');
  evil.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  evil.send(zmq::buffer(body(big)), zmq::send_flags::none);
  evil.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  evil.send(zmq::buffer(body("extra frames")), zmq::send_flags::sndmore);
  evil.send(zmq::str_buffer("what?"), zmq::send_flags::none);
  evil.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  evil.send(zmq::buffer(body("after the garbage")), zmq::send_flags::none);
  logger->warn("good record from the sink");

  std::set<std::string> seen;
  const auto until = Clock::now() + 10s;
  while (Clock::now() < until && !(seen.count("after the garbage") && seen.count("good record from the sink")))
    if (auto r = sub.next(50ms); r && r->msg != "probe") seen.insert(r->msg.size() > 100 ? "big" : r->msg);
  CHECK(seen == std::set<std::string>{"big", "extra frames", "after the garbage", "good record from the sink"});
  // One publisher's messages arrive in order: everything it sent before the marker was seen.
  CHECK(sub.dropped() == sent_garbage);
  CHECK(sub.connected());

  SUBCASE("the same rules apply to a body read from elsewhere") {
    for (const auto& g : garbage) CHECK_FALSE(roc::log::parse_record(g));
    const auto r = roc::log::parse_record(R"({"ts":"1970-01-02T00:00:01.5Z","level":"warn","node":"n","msg":"m"})");
    REQUIRE(r);
    CHECK(r->level == spdlog::level::warn);  // spdlog's short form is read too
    CHECK(r->logger.empty());
    CHECK(r->time.time_since_epoch() == std::chrono::milliseconds(86401500));
  }
}

TEST_CASE("subscribers tell whether anything accepts connections at the broker's port") {
  SUBCASE("nothing at base+2, though something answers on the calls port") {
    roc::test::CallsPortOnly calls_only;
    const roc::Endpoints endpoints(calls_only.address());
    auto logs = roc::log::records(endpoints, {}, 100ms);
    roc::StatusSubscription status(endpoints, {}, 100ms);
    const auto until = Clock::now() + 1s;
    while (Clock::now() < until) {
      CHECK_FALSE(logs.next());
      status.next();
      CHECK_FALSE(logs.connected());
      CHECK_FALSE(status.connected());
    }
    CHECK(logs.endpoint() == endpoints.subscribe());
    CHECK(status.endpoint() == endpoints.subscribe());
  }
  SUBCASE("a broker that goes away and comes back on the same port") {
    auto broker = std::make_unique<roc::Broker>(local_broker());
    broker->start();
    const auto endpoints = broker->endpoints();
    auto logs = roc::log::records(endpoints, {}, 20ms);
    roc::StatusSubscription status(endpoints, {}, 20ms);
    auto both = [&](bool up) {
      return roc::test::wait_until(
          [&] {
            logs.next();
            status.next();
            return logs.connected() == up && status.connected() == up;
          },
          10s);
    };
    CHECK(both(true));
    broker.reset();
    CHECK(both(false));
    broker = std::make_unique<roc::Broker>(local_broker("127.0.0.1:" + std::to_string(endpoints.port())));
    broker->start();
    CHECK(both(true));
    // And records flow again through the new broker.
    auto logger = publishing_logger("again", endpoints, "again-node");
    CHECK(publish_until_seen(logs, "back", [&] { logger->info("back"); }));
  }
}
