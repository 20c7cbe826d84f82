// The `roc` command against the sample vnir-server through an in-process broker: every command,
// --json output, and each documented exit code.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/json.hpp>
#include <roc/log.hpp>
#include <roc/version.hpp>

#include "log_test_support.hpp"
#include "support/test_support.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>

using namespace std::chrono_literals;
using roc::json::Json;

namespace {

struct Fixture {
  Fixture() : broker(options()) {
    broker.start();
    address = broker.endpoints().address();
    server = std::make_unique<roc::test::Child>(std::vector<std::string>{ROC_VNIR_SERVER, "-b", address},
                                                "/tmp/roc-cli-test-server-" + std::to_string(broker.endpoints().port()));
    roc::Client client(broker.endpoints());
    REQUIRE(roc::test::wait_until([&] { return client.exists("vnir"); }, 10s));
  }
  static roc::BrokerOptions options() {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:0";
    o.unknown_object_grace = 100ms;  // `not found` quickly
    return o;
  }
  roc::test::RunResult roc(std::vector<std::string> args) const {
    args.insert(args.begin(), {ROC_CLI, "--broker", address});
    return roc::test::run(args);
  }

  roc::Broker broker;
  std::string address;
  std::unique_ptr<roc::test::Child> server;
};

}  // namespace

TEST_CASE("roc commands work against the sample server") {
  Fixture fx;
  SUBCASE("list") {
    auto r = fx.roc({"list"});
    CHECK(r.code == 0);
    CHECK(r.out.find("vnir") != std::string::npos);
    r = fx.roc({"list", "--json"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).dump() == R"([{"id":"vnir","workers":1}])");
  }
  SUBCASE("describe") {
    auto r = fx.roc({"--json", "describe", "vnir"});
    CHECK(r.code == 0);
    CHECK(r.out.find("lab::VnirCamera") != std::string::npos);
  }
  SUBCASE("call, get, set, ping") {
    auto r = fx.roc({"call", "vnir", "temperature"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().IsNumber());
    CHECK(fx.roc({"set", "vnir", "fps", "20"}).code == 0);
    r = fx.roc({"get", "vnir", "fps"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().GetDouble() == 20.0);
    r = fx.roc({"call", "vnir", "set_roi", R"({"roi":{"x":0,"y":0,"width":64,"height":8}})"});
    CHECK(r.code == 0);
    r = fx.roc({"call", "vnir", "grab", "[2]", "--json"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().Size() == 128);
    r = fx.roc({"ping", "vnir", "--json"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value()["id"] == "vnir");
  }
  SUBCASE("status shows the server's emitted tree") {
    roc::test::RunResult r;
    // The server emits once a second; the broker keeps it for the snapshot.
    REQUIRE(roc::test::wait_until(
        [&] {
          r = fx.roc({"status", "vnir", "--json"});
          return r.code == 0 && r.out.find("temperature") != std::string::npos;
        },
        10s));
    const auto tree = Json::parse(r.out);
    CHECK(tree.value()["vnir"]["temperature"].IsNumber());
    CHECK(tree.value()["vnir"]["frames"].IsNumber());
    r = fx.roc({"status", "vnir.frames", "--json"});
    CHECK(r.code == 0);
    CHECK_FALSE(Json::parse(r.out).value()["vnir"].HasMember("temperature"));
  }
  SUBCASE("logs prints records, filtered by node") {
    const std::string out = "/tmp/roc-cli-test-logs-" + std::to_string(fx.broker.endpoints().port());
    roc::test::Child logs({ROC_CLI, "--broker", fx.address, "--json", "logs", "-f", "--node", "cli-test"}, out);
    auto logger = std::make_shared<spdlog::logger>("cli");
    logger->sinks().push_back(std::make_shared<roc::log::Sink>(fx.broker.endpoints(), "cli-test"));
    auto other = std::make_shared<spdlog::logger>("other");
    other->sinks().push_back(std::make_shared<roc::log::Sink>(fx.broker.endpoints(), "other-node"));
    std::string text;
    REQUIRE(roc::test::wait_until(
        [&] {
          logger->warn("hello from the cli test");
          other->warn("not for this filter");
          std::ifstream in(out);
          text.assign(std::istreambuf_iterator<char>(in), {});
          return text.find("hello from the cli test") != std::string::npos;
        },
        10s));
    CHECK(text.find("not for this filter") == std::string::npos);
    const auto first_line = text.substr(0, text.find('\n'));
    CHECK(Json::parse(first_line).value()["node"] == "cli-test");
  }
}

TEST_CASE("roc exit codes tell scripts what went wrong") {
  Fixture fx;
  SUBCASE("remote error: 5") {
    auto r = fx.roc({"call", "vnir", "no_such_method"});
    CHECK(r.code == 5);
    CHECK(r.err.find("no_such_method") != std::string::npos);
    CHECK(fx.roc({"set", "vnir", "model", "\"x\""}).code == 5);  // read-only property
  }
  SUBCASE("not found: 4") {
    auto r = fx.roc({"ping", "nobody"});
    CHECK(r.code == 4);
    CHECK(r.err.find("nobody") != std::string::npos);
  }
  SUBCASE("timeout: 3") {
    fx.broker.stop();
    auto r = fx.roc({"--timeout", "0.3", "ping", "vnir"});
    CHECK(r.code == 3);
    CHECK(fx.roc({"--timeout", "0.3", "status"}).code == 3);
  }
  SUBCASE("bad usage: 2") {
    CHECK(fx.roc({"call", "vnir", "set_roi", "{not json"}).code == 2);
    CHECK(fx.roc({"frobnicate"}).code == 2);
    CHECK(fx.roc({"get", "vnir"}).code == 2);
    CHECK(fx.roc({"logs", "--level", "loud"}).code == 2);
    CHECK(fx.roc({"status", "a..b"}).code == 2);
  }
  SUBCASE("--help: 0, everywhere") {
    for (const char* command : {"list", "describe", "call", "get", "set", "ping", "logs", "status"}) {
      auto r = roc::test::run({ROC_CLI, command, "--help"});
      CHECK_MESSAGE(r.code == 0, command);
      CHECK(r.out.find("Usage") != std::string::npos);
    }
    CHECK(roc::test::run({ROC_CLI, "--help"}).code == 0);
  }
  SUBCASE("--version: 0, and the version") {
    auto r = roc::test::run({ROC_CLI, "--version"});
    CHECK(r.code == 0);
    CHECK(r.out == "roc " ROC_VERSION_STRING "\n");
  }
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("roc logs and roc status say so when nothing accepts connections at the broker's port") {
  roc::test::CallsPortOnly calls_only;
  const roc::Endpoints endpoints(calls_only.address());
  const std::vector<std::vector<std::string>> commands = {
      {"logs"}, {"logs", "-f"}, {"status"}, {"status", "--watch"}, {"status", "system", "--json"}};
  for (const auto& command : commands) {
    std::vector<std::string> args{ROC_CLI, "--broker", calls_only.address(), "--timeout", "0.5"};
    args.insert(args.end(), command.begin(), command.end());
    const auto r = roc::test::run(args, 10s);
    CAPTURE(command[0]);
    CHECK(r.code == 3);
    CHECK(r.err.find("nothing accepts connections at " + endpoints.subscribe()) != std::string::npos);
    CHECK(r.err.find("is a roc broker running at " + calls_only.address()) != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("roc logs -f says in one line each when it loses the broker and when it is back") {
  auto broker = std::make_unique<roc::Broker>([] {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:0";
    return o;
  }());
  broker->start();
  const auto endpoints = broker->endpoints();
  const std::string out = "/tmp/roc-cli-test-follow-" + std::to_string(endpoints.port());
  roc::test::Child logs({ROC_CLI, "--broker", endpoints.address(), "logs", "-f"}, out);
  auto logger = std::make_shared<spdlog::logger>("follow");
  logger->sinks().push_back(std::make_shared<roc::log::Sink>(endpoints, "follow-node"));
  REQUIRE(roc::test::wait_until(
      [&] {
        logger->warn("before the restart");
        return read_file(out).find("before the restart") != std::string::npos;
      },
      10s));
  broker.reset();
  CHECK(roc::test::wait_until(
      [&] { return read_file(out).find("lost the connection to the broker at " + endpoints.subscribe()) !=
                   std::string::npos; },
      10s));
  broker = std::make_unique<roc::Broker>([&] {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:" + std::to_string(endpoints.port());
    return o;
  }());
  broker->start();
  CHECK(roc::test::wait_until(
      [&] {
        logger->warn("after the restart");
        return read_file(out).find("after the restart") != std::string::npos;
      },
      15s));
  const auto text = read_file(out);
  const auto again = "connected to the broker at " + endpoints.subscribe() + " again";
  CHECK(text.find(again) != std::string::npos);
  // One line each, however many reconnect attempts there were in between.
  CHECK(text.find("lost the connection") == text.rfind("lost the connection"));
  CHECK(text.find(again) == text.rfind(again));
  CHECK_FALSE(logs.wait(0ms));  // still following
}
