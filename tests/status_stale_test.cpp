// Stale status (docs/observability.md, "Stale status"): stamps on every update, sources in the
// tree, stale notices when a publisher's process dies or falls silent, snapshots that carry the
// flags, and deletion under the broker's publish rights.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/status.hpp>

#include "support/process.hpp"
#include "support/secure_lab.hpp"
#include "support/test_support.hpp"

#include <zmq.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include <unistd.h>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using roc::json::Json;
using roc::test::wait_until;

namespace {

roc::BrokerOptions local_broker(std::chrono::milliseconds stale_after = 0ms) {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.status_stale_after = stale_after;
  return options;
}

/// A subscription and the tree it keeps, merging every update.
struct Follower {
  Follower(const roc::Endpoints& endpoints, std::vector<std::string> masks)
      : sub(endpoints, std::move(masks), 50ms) {
    const auto deadline = Clock::now() + 10s;
    while (!sub.synced() && Clock::now() < deadline) pump(50ms);
    REQUIRE(sub.synced());
  }

  /// Merges what comes within `for_at_most`; returns the last update seen (maybe empty).
  roc::StatusUpdate pump(std::chrono::milliseconds for_at_most = 20ms) {
    roc::StatusUpdate last;
    for (auto u = sub.next(for_at_most); u; u = sub.next(0ms)) {
      tree.merge(u);
      if (u.stale) ++stale_notices;
      last = std::move(u);
    }
    return last;
  }

  /// Merges updates until `condition` holds on the tree or `timeout` passes.
  bool until(const std::function<bool(const roc::StatusTree&)>& condition, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout * roc::test::sanitizer_slowdown;
    while (!condition(tree) && Clock::now() < deadline) pump();
    return condition(tree);
  }

  roc::StatusSubscription sub;
  roc::StatusTree tree;
  int stale_notices = 0;
};

bool stale_at(const roc::StatusTree& tree, std::string_view path) {
  const auto* s = tree.source(path);
  return s != nullptr && s->stale;
}

/// Whether the tree holds a source written exactly at `path` (source() finds the covering one).
bool source_written_at(const roc::StatusTree& tree, std::string_view path) {
  const auto all = tree.sources();
  return std::any_of(all.begin(), all.end(), [&](const roc::StatusSource& s) { return s.path == path; });
}

bool fresh_at(const roc::StatusTree& tree, std::string_view path) {
  const auto* s = tree.source(path);
  return s != nullptr && !s->stale;
}

std::string publisher_program() { return roc::test::executable_dir() + "/roc_test_status_publisher"; }

}  // namespace

TEST_CASE("A status tree keeps one source per part: the deepest writer, until an update rewrites it") {
  roc::StatusTree tree;
  roc::StatusSource a, b;
  a.publisher = {"camera", "lab1", 11};
  b.publisher = {"operator", "lab2", 22};
  tree.merge("vnir", Json::parse(R"({"camera":{"gain":1},"temp":20})").value(), a);
  tree.merge("vnir.camera", Json::parse(R"({"gain":2})").value(), b);
  CHECK(tree.source("vnir.temp")->publisher.program == "camera");
  CHECK(tree.source("vnir.camera.gain")->publisher.program == "operator");
  CHECK(tree.source("other") == nullptr);

  SUBCASE("an update above that does not reach a deeper part leaves its source") {
    tree.merge("vnir", Json::parse(R"({"temp":21})").value(), a);
    CHECK(tree.source("vnir.camera")->publisher.program == "operator");
  }
  SUBCASE("an update above that rewrites a deeper part takes it over") {
    tree.merge("vnir", Json::parse(R"({"camera":{"gain":3}})").value(), a);
    CHECK(tree.source("vnir.camera")->publisher.program == "camera");
    CHECK(tree.sources().size() == 1);
  }
  SUBCASE("a deletion forgets the sources under it") {
    tree.merge("vnir.camera", Json().value(), b);
    CHECK(tree.find("vnir.camera") == nullptr);
    CHECK(tree.sources().size() == 1);
    tree.merge("vnir", Json().value());
    CHECK(tree.sources().empty());
  }
  SUBCASE("a stale notice flags one source; the next update at its path clears it") {
    auto notice = *tree.source("vnir");
    tree.mark_stale(notice);
    CHECK(stale_at(tree, "vnir.temp"));
    CHECK(fresh_at(tree, "vnir.camera.gain"));
    tree.merge("vnir.temp", Json::parse("22").value(), a);
    CHECK(fresh_at(tree, "vnir.temp"));
    CHECK(stale_at(tree, "vnir"));
  }
  SUBCASE("a cut keeps the sources that cover what it keeps") {
    const auto cut = tree.cut({"vnir.camera"});
    CHECK(cut.sources().size() == 2);
    CHECK(tree.cut({"other"}).sources().empty());
  }
}

TEST_CASE("Every update carries its publisher's stamp, and the broker stamps one that came without") {
  roc::Broker broker(local_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  Follower follower(endpoints, {"lab"});

  roc::StatusUpdaterOptions options;
  options.program = "stamp-test";
  roc::StatusUpdater updater(endpoints, options);
  const auto before = std::chrono::system_clock::now();
  updater.emit("lab.stamped", 1);
  REQUIRE(follower.until([](const roc::StatusTree& t) { return t.find("lab.stamped") != nullptr; }));
  const auto* s = follower.tree.source("lab.stamped");
  REQUIRE(s != nullptr);
  CHECK(s->publisher.program == "stamp-test");
  CHECK(s->publisher.pid == ::getpid());
  CHECK(!s->publisher.host.empty());
  CHECK(s->emitted >= before - 1ms);
  CHECK(s->emitted <= std::chrono::system_clock::now());

  // A third-party publisher: a bare PUB sending [topic, body] until the broker has it.
  zmq::context_t context;
  zmq::socket_t pub(context, zmq::socket_type::pub);
  pub.connect(endpoints.publish());
  const bool arrived = follower.until([&](const roc::StatusTree& t) {
    pub.send(zmq::str_buffer("status.lab.bare"), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer("2"), zmq::send_flags::none);
    return t.find("lab.bare") != nullptr;
  });
  REQUIRE(arrived);
  const auto* bare = follower.tree.source("lab.bare");
  REQUIRE(bare != nullptr);
  CHECK(!bare->publisher.known());
  CHECK(bare->publisher.describe() == "an unknown publisher");
  CHECK(bare->emitted >= before - 1ms);
}

TEST_CASE("A status subtree turns stale at once when its publisher's process is killed, and fresh with a new update") {
  roc::Broker broker(local_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  Follower live(endpoints, {"lab"});

  roc::test::Child child({publisher_program(), endpoints.address(), "lab.child"});
  REQUIRE(live.until([](const roc::StatusTree& t) { return t.find("lab.child.beat") != nullptr; }));
  REQUIRE(fresh_at(live.tree, "lab.child.beat"));
  CHECK(live.tree.source("lab.child")->publisher.pid == child.pid());
  CHECK(live.tree.source("lab.child")->publisher.program == "roc_test_status_publisher");

  ::kill(child.pid(), SIGKILL);
  CHECK(child.wait(5s).has_value());
  // At once: the connection's close, not a timeout. A second is plenty on a loaded machine.
  CHECK(live.until([](const roc::StatusTree& t) { return stale_at(t, "lab.child.beat"); }, 2s));
  CHECK(live.stale_notices >= 1);  // one per path it wrote
  CHECK(live.tree.find("lab.child.beat") != nullptr);  // the last values stay, flagged

  SUBCASE("a late subscriber's snapshot carries the stale flag and the stamp") {
    Follower late(endpoints, {"lab.child"});
    CHECK(stale_at(late.tree, "lab.child.beat"));
    CHECK(late.tree.source("lab.child")->publisher.pid == live.tree.source("lab.child")->publisher.pid);
    CHECK(late.tree.find("lab.child.beat") != nullptr);
  }
  SUBCASE("a fresh update clears the flag, for live and late subscribers") {
    roc::StatusUpdater successor(endpoints);
    successor.emit("lab.child", Json::parse(R"({"beat":100})"));
    CHECK(live.until([](const roc::StatusTree& t) { return fresh_at(t, "lab.child.beat"); }));
    CHECK(live.tree.source("lab.child")->publisher.pid == ::getpid());
    Follower late(endpoints, {"lab"});
    CHECK(fresh_at(late.tree, "lab.child.beat"));
  }
}

TEST_CASE("A publisher claims only the paths it emitted at: one that exits leaves a node it shared with others fresh") {
  roc::Broker broker(local_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  Follower live(endpoints, {"lab"});
  roc::StatusUpdater stays(endpoints);
  stays.emit("lab.stays", 1);
  {
    // Emitted before its connection is up, so it reaches the broker in the republish (§5.4).
    roc::StatusUpdater leaves(endpoints);
    leaves.emit("lab.leaves", Json::parse(R"({"x":2})"));
    leaves.emit("lab.leaves.x", 3);  // under a path it emitted at: claims nothing more
    leaves.emit("lab.gone", 4);
    leaves.emit("lab.gone", Json());  // deleted: not republished
    REQUIRE(live.until([](const roc::StatusTree& t) {
      const auto* x = t.find("lab.leaves.x");
      return x != nullptr && x->IsInt() && x->GetInt() == 3 && fresh_at(t, "lab.stays");
    }));
  }
  REQUIRE(live.until([](const roc::StatusTree& t) { return stale_at(t, "lab.leaves.x"); }, 5s));
  CHECK(fresh_at(live.tree, "lab.stays"));
  CHECK(!source_written_at(live.tree, "lab"));
  CHECK(live.tree.find("lab.gone") == nullptr);
  Follower late(endpoints, {"lab"});
  CHECK(!source_written_at(late.tree, "lab"));
  CHECK(fresh_at(late.tree, "lab.stays"));
  CHECK(stale_at(late.tree, "lab.leaves"));

  SUBCASE("the republished paths keep the order they were emitted in") {
    roc::StatusUpdater ordered(endpoints);  // as above: these reach the broker in its republish
    for (const char* path : {"order.z", "order.m.deeper", "order.a"}) ordered.emit(path, 1);
    Follower reader(endpoints, {"order"});
    REQUIRE(reader.until([](const roc::StatusTree& t) { return t.find("order.a") != nullptr; }));
    std::vector<std::string> names;
    for (const auto& m : reader.tree.find("order")->GetObject()) names.emplace_back(m.name.GetString());
    CHECK(names == std::vector<std::string>{"z", "m", "a"});
  }
}

TEST_CASE("With --stale-after, a publisher silent for that long is flagged stale and one that keeps emitting is not") {
  roc::Broker broker(local_broker(300ms));
  broker.start();
  const auto endpoints = broker.endpoints();
  Follower live(endpoints, {});
  roc::StatusUpdater quiet(endpoints), busy(endpoints);
  quiet.emit("quiet.x", 1);
  busy.emit("busy.x", 0);
  REQUIRE(live.until([](const roc::StatusTree& t) { return fresh_at(t, "quiet.x") && fresh_at(t, "busy.x"); }));

  const auto started = Clock::now();
  int beat = 0;
  const bool flagged = live.until([&](const roc::StatusTree& t) {
    busy.emit("busy.x", ++beat);
    std::this_thread::sleep_for(20ms);
    return stale_at(t, "quiet.x");
  });
  CHECK(flagged);
  CHECK(Clock::now() - started >= 250ms);  // not before its time (the broker's clock, not ours)
  CHECK(fresh_at(live.tree, "busy.x"));

  quiet.emit("quiet.x", 2);
  CHECK(live.until([](const roc::StatusTree& t) { return fresh_at(t, "quiet.x"); }));
  CHECK(!broker.stats().status_dropped);
}

TEST_CASE("Deleting a subtree removes it and its sources for live and late subscribers") {
  roc::Broker broker(local_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  Follower live(endpoints, {"lab"});
  roc::StatusUpdater publisher(endpoints);
  publisher.emit("lab.a", Json::parse(R"({"x":1})"));
  publisher.emit("lab.b", 2);
  REQUIRE(live.until([](const roc::StatusTree& t) { return t.find("lab.a.x") && t.find("lab.b"); }));

  roc::StatusUpdater operator_(endpoints);
  operator_.emit_json("lab.a", "null");
  CHECK(live.until([](const roc::StatusTree& t) { return t.find("lab.a") == nullptr; }));
  CHECK(!source_written_at(live.tree, "lab.a"));
  CHECK(live.tree.find("lab.b") != nullptr);

  Follower late(endpoints, {"lab"});
  CHECK(late.tree.find("lab.a") == nullptr);
  CHECK(late.tree.find("lab.b") != nullptr);
  CHECK(!source_written_at(late.tree, "lab.a"));
  CHECK(source_written_at(late.tree, "lab.b"));
}

TEST_CASE("A key without roc-publish for a path cannot delete it; one with it can") {
  roc::test::SecuredBroker s;
  const auto watcher = s.as(s.key("operator"));
  roc::StatusUpdater camera(s.as(s.key("camera-pc", {{"roc-publish", "status.vnir"}})));
  camera.emit("vnir.ok", 1);
  {
    Follower live(watcher, {"vnir"});
    REQUIRE(live.until([](const roc::StatusTree& t) { return t.find("vnir.ok") != nullptr; }));
  }

  roc::StatusUpdater intruder(s.as(s.key("intruder", {{"roc-publish", "log"}})));
  intruder.emit_json("vnir", "null");
  REQUIRE(wait_until([&] { return s.broker.stats().publications_refused > 0; }, 10s));
  Follower late(watcher, {"vnir"});
  CHECK(late.tree.find("vnir.ok") != nullptr);

  roc::StatusUpdater admin(s.as(s.key("admin", {{"roc-publish", "status.vnir"}})));
  admin.emit_json("vnir", "null");
  CHECK(late.until([](const roc::StatusTree& t) { return t.find("vnir") == nullptr; }));
}
