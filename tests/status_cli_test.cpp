// `roc status` through the real binary: a killed publisher's subtree is flagged stale with its
// age, numbers print at a sensible precision, and `--delete` removes a subtree or says why not.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/status.hpp>

#include "status_view.hpp"
#include "support/process.hpp"
#include "support/secure_lab.hpp"
#include "support/test_support.hpp"

#include <csignal>

using namespace std::chrono_literals;
using roc::json::Json;
using roc::test::wait_until;

namespace {

roc::test::RunResult roc_cli(const std::string& address, std::vector<std::string> args) {
  args.insert(args.begin(), {ROC_CLI, "--broker", address});
  return roc::test::run(args);
}

}  // namespace

TEST_CASE("roc status flags a killed publisher's subtree as stale, with its age") {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  const auto address = broker.endpoints().address();
  roc::StatusUpdater here(broker.endpoints());
  here.emit("lab.here", Json::parse(R"({"ratio":0.30000000000000004,"count":3})"));

  roc::test::Child child({roc::test::executable_dir() + "/roc_test_status_publisher", address, "lab.child"});
  REQUIRE(wait_until([&] {
    const auto out = roc_cli(address, {"status", "lab", "--json"}).out;
    return out.find("child") != std::string::npos && out.find("here") != std::string::npos;
  }, 10s));
  auto before = roc_cli(address, {"status", "lab"});
  CHECK(before.code == 0);
  CHECK(before.out.find("stale") == std::string::npos);
  CHECK(before.out.find("ratio: 0.3\n") != std::string::npos);
  CHECK(before.out.find("count: 3") != std::string::npos);

  ::kill(child.pid(), SIGKILL);
  child.wait(5s);
  roc::test::RunResult after;
  REQUIRE(wait_until([&] {
    after = roc_cli(address, {"status", "lab"});
    return after.out.find("stale") != std::string::npos;
  }, 10s));
  CHECK(after.code == 0);
  CHECK(after.out.find("  child  (stale, last update ") != std::string::npos);
  CHECK(after.out.find("here  (stale") == std::string::npos);
  // --json is the merged tree as before: the values, unchanged by staleness.
  CHECK(roc_cli(address, {"status", "lab.child", "--json"}).out == "{\"lab\":{\"child\":{\"beat\":0}}}\n");

  SUBCASE("--delete removes the subtree for everyone") {
    const auto deleted = roc_cli(address, {"status", "--delete", "lab.child"});
    CHECK(deleted.code == 0);
    CHECK(deleted.out == "deleted status 'lab.child'\n");
    CHECK(roc_cli(address, {"status", "lab", "--json"}).out.find("child") == std::string::npos);
  }
  SUBCASE("--delete with masks or an empty path is a usage error") {
    CHECK(roc_cli(address, {"status", "--delete", "lab.child", "lab"}).code == 2);
    CHECK(roc_cli(address, {"status", "--delete", "a..b"}).code == 2);
  }
}

TEST_CASE("roc status --delete says the broker did not apply it when the key may not publish there") {
  roc::test::SecuredBroker s;
  roc::StatusUpdater camera(s.as(s.key("camera-pc", {{"roc-publish", "status.vnir"}})));
  camera.emit("vnir.ok", 1);
  REQUIRE(camera.flush(10s));
  const auto operator_key = s.key("operator", {{"roc-publish", "log"}});  // no roc-publish: every topic
  operator_key.save((s.lab.directory() / "operator").string());
  s.lab.broker_key().public_only().save((s.lab.directory() / "broker").string());
  const auto key_file = s.lab.directory() / "operator.key_secret";
  const auto broker_file = s.lab.directory() / "broker.key";
  const auto r = roc::test::run({ROC_CLI, "--broker", s.broker.endpoints().address(), "--cert", key_file.string(),
                                 "--broker-cert", broker_file.string(), "--timeout", "1", "status", "--delete", "vnir"});
  CHECK(r.code == 3);
  CHECK(r.err.find("did not apply the deletion of 'vnir'") != std::string::npos);
  CHECK(r.err.find("roc-publish") != std::string::npos);
}

TEST_CASE("status view: numbers at a sensible precision, ages in words") {
  CHECK(roc::cli::format_number(Json::parse("0.30000000000000004").value()) == "0.3");
  CHECK(roc::cli::format_number(Json::parse("1764476117.25").value()) == "1764476117.25");
  CHECK(roc::cli::format_number(Json::parse("-12").value()) == "-12");
  CHECK(roc::cli::format_age(42s) == "42 s ago");
  CHECK(roc::cli::format_age(300s) == "5 min ago");
  CHECK(roc::cli::format_age(-5s).find("ahead") != std::string::npos);
  CHECK(roc::cli::format_age(200ms) == "just now");

  roc::StatusTree tree;
  roc::StatusSource source;
  source.emitted = std::chrono::system_clock::now() - 42s;
  tree.merge("lab.dev", Json::parse(R"({"a":{"b":1},"list":[1,2.5]})").value(), source);
  source.path = "lab.dev";
  tree.mark_stale(source);
  roc::cli::StatusViewStyle style;
  const auto lines = roc::cli::status_lines(tree, style);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "lab");
  CHECK(lines[1].rfind("  dev  (stale, last update 4", 0) == 0);
  CHECK(lines[2] == "    a");
  CHECK(lines[3] == "      b: 1");
  CHECK(lines[4] == "    list: [1, 2.5]");
  style.colour = true;
  CHECK(roc::cli::status_lines(tree, style)[3] == "\033[2m      b: 1\033[0m");
  CHECK(roc::cli::status_lines(roc::StatusTree{}, style) == std::vector<std::string>{"(empty)"});
}
