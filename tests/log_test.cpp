// roc::log end to end: records from other processes arrive with every field; logging while the
// broker is down neither blocks nor throws, and resumes when a broker comes back.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/log.hpp>

#include "log_test_support.hpp"
#include "support/test_support.hpp"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("log records from two processes arrive with every field") {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  const auto endpoints = broker.endpoints();

  zmq::context_t context(1);
  zmq::socket_t sub(context, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.connect(endpoints.subscribe());
  sub.set(zmq::sockopt::subscribe, "log.");
  REQUIRE(roc::test::wait_subscribed(context, sub, endpoints, "log."));

  const auto helper = roc::test::executable_dir() + "/log_test_child";
  constexpr int per_child = 50;
  roc::test::Child a({helper, endpoints.address(), "node-a", std::to_string(per_child)});
  roc::test::Child b({helper, endpoints.address(), "node-b", std::to_string(per_child)});

  std::map<std::string, int> counts;
  std::set<std::string> loggers;
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline && (counts["node-a"] < per_child + 1 || counts["node-b"] < per_child + 1)) {
    auto frames = roc::test::receive(sub, 100ms);
    if (frames.empty()) continue;
    REQUIRE(frames.size() == 2);
    rapidjson::Document d;
    d.Parse(frames[1].data<char>(), frames[1].size());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    for (const char* field : {"ts", "level", "node", "logger", "msg", "file", "line", "thread"})
      REQUIRE_MESSAGE(d.HasMember(field), "missing field " << field);
    REQUIRE(d["node"].IsString());
    REQUIRE(d["level"].IsString());
    const std::string node = d["node"].GetString(), level = d["level"].GetString();
    CHECK(frames[0].to_string_view() == "log." + level + "." + node);
    CHECK(d["ts"].IsString());
    CHECK(std::string(d["ts"].GetString()).size() == 27);  // 2024-05-01T12:00:00.123456Z
    CHECK(d["file"].IsString());
    CHECK(std::string(d["file"].GetString()).find("log_test_child.cpp") != std::string::npos);
    CHECK(d["line"].IsInt());
    CHECK(d["line"].GetInt() > 0);
    CHECK(d["thread"].IsUint64());
    CHECK(d["msg"].IsString());
    loggers.insert(d["logger"].GetString());
    ++counts[node];
  }
  CHECK(counts["node-a"] == per_child + 1);
  CHECK(counts["node-b"] == per_child + 1);
  CHECK(loggers.count("child.named") == 1);
  CHECK(a.wait(10s) == 0);
  CHECK(b.wait(10s) == 0);
}

TEST_CASE("logging while the broker is down neither blocks nor throws, and resumes with a new broker") {
  // A port nobody listens on: take one from a broker, then stop it.
  roc::Endpoints endpoints;
  std::string bind;
  {
    roc::BrokerOptions options;
    options.bind = "127.0.0.1:0";
    roc::Broker probe(options);
    probe.start();
    endpoints = probe.endpoints();
    bind = "127.0.0.1:" + std::to_string(endpoints.port());
  }
  auto logger = std::make_shared<spdlog::logger>("down.test");
  logger->set_level(spdlog::level::trace);
  roc::log::Options options;
  options.queue_capacity = 1000;
  auto sink = std::make_shared<roc::log::Sink>(endpoints, "down-node", options);
  logger->sinks().push_back(sink);

  constexpr int n = 20000;
  std::vector<Clock::duration> took;
  took.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    logger->info("while the broker is down {}", i);
    took.push_back(Clock::now() - t0);
  }
  std::sort(took.begin(), took.end());
  CHECK(sink->dropped() >= n - options.queue_capacity);
  // A call that waited on the network would take the reconnect interval (100 ms) or forever.
  // The bounds are generous so that a preempted thread on a loaded CI machine does not fail.
  CHECK(took[n * 999 / 1000] < 1ms * roc::test::sanitizer_slowdown);
  CHECK(took.back() < 250ms);
  CHECK_FALSE(sink->drain(50ms));

  SUBCASE("a broker on that port receives what comes next") {
    roc::BrokerOptions bo;
    bo.bind = bind;
    roc::Broker broker(bo);
    broker.start();
    zmq::context_t context(1);
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.connect(broker.endpoints().subscribe());
    sub.set(zmq::sockopt::subscribe, "log.info.down-node");
    REQUIRE(roc::test::wait_subscribed(context, sub, broker.endpoints(), "log.info.down-node"));
    bool seen = false;
    const auto deadline = Clock::now() + 10s;
    while (!seen && Clock::now() < deadline) {
      logger->info("after the broker came back");
      auto frames = roc::test::receive(sub, 50ms);
      while (!frames.empty() && !seen) {
        seen = frames[1].to_string_view().find("after the broker came back") != std::string_view::npos;
        if (!seen) frames = roc::test::receive(sub, 0ms);
      }
    }
    CHECK(seen);
  }
}
