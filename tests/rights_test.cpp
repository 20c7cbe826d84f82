// What each admitted key may do on a secured broker (docs/security.md): serve, call, read and
// publish, from the metadata of its certificate in the allow directory. Real sockets, CURVE on.
#include "support/secure_lab.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using roc::test::SecureLab;
using roc::test::SecuredBroker;
using roc::test::wait_until;
using testing_lab::Device;

TEST_CASE("an impostor key sending READY for a served id is refused and the real server gets every call") {
  SecuredBroker s;
  Device real("real"), impostor("impostor");
  auto server = s.serve(s.key("camera-pc"), "vnir", real);
  REQUIRE(wait_until([&] { return s.workers_of("vnir") == 1; }));

  roc::ServerOptions greedy = SecureLab::server_options();
  greedy.credit = 1000;  // the hijack the issue reports: a large credit draws every call
  roc::Server intruder(s.as(s.key("intruder")), greedy);
  intruder.publish("vnir", impostor);
  intruder.start();
  REQUIRE(wait_until([&] { return s.broker.stats().not_allowed >= 1; }));

  roc::Client client(s.as(s.key("operator")));
  for (int i = 0; i < 20; ++i) CHECK(client["vnir"].call<std::string>("tag") == "real");
  CHECK(s.workers_of("vnir") == 1);
}

TEST_CASE("several workers of one key share an object") {
  SecuredBroker s;
  Device a("a"), b("b");
  const auto key = s.key("camera-pc");
  auto first = s.serve(key, "vnir", a);
  auto second = s.serve(key, "vnir", b);
  CHECK(wait_until([&] { return s.workers_of("vnir") == 2; }));
  CHECK(s.broker.stats().not_allowed == 0);
}

TEST_CASE("a key with roc-serve may serve only the ids its patterns name, alongside other keys") {
  SecuredBroker s;
  Device cam("cam"), stolen("stolen"), backup("backup"), real("real");
  const auto cameras = s.key("cameras", {{"roc-serve", "cam-* stage"}});
  auto allowed = s.serve(cameras, "cam-1", cam);
  CHECK(wait_until([&] { return s.workers_of("cam-1") == 1; }));

  auto refused = s.serve(cameras, "vnir", stolen);
  REQUIRE(wait_until([&] { return s.broker.stats().not_allowed >= 1; }));
  CHECK(s.workers_of("vnir") == 0);

  // A key named by roc-serve joins an object another key serves: a planned standby.
  auto owner = s.serve(s.key("camera-pc"), "stage", real);
  REQUIRE(wait_until([&] { return s.workers_of("stage") == 1; }));
  auto standby = s.serve(cameras, "stage", backup);
  CHECK(wait_until([&] { return s.workers_of("stage") == 2; }));
}

TEST_CASE("a roc-read key can get, describe and ping but not call or set") {
  SecuredBroker s;
  Device device;
  auto server = s.serve(s.key("camera-pc"), "dev", device);
  roc::Client viewer(s.as(s.key("viewer", {{"roc-call", ""}, {"roc-read", "dev"}})));
  REQUIRE(wait_until([&] { return s.workers_of("dev") == 1; }));

  auto dev = viewer["dev"];
  CHECK(dev.get<std::string>("firmware") == "1.2.3");
  CHECK(dev.describe().value().IsObject());
  dev.ping();

  try {
    dev.call<std::string>("tag");
    FAIL("a read-only key made a call");
  } catch (const roc::NotAllowed& e) {
    CHECK(e.code() == roc::error_code::not_allowed);
    CHECK(std::string(e.what()).find("key 'viewer' may only read 'dev'") != std::string::npos);
    CHECK(std::string(e.what()).find("'tag'") != std::string::npos);
  }
  CHECK_THROWS_AS(dev.set("level", 5), roc::NotAllowed);
  CHECK(s.broker.stats().not_allowed == 2);
}

TEST_CASE("a key may call only the ids its roc-call names") {
  SecuredBroker s;
  Device device, other;
  const auto owner = s.key("camera-pc");
  auto server = s.serve(owner, "dev", device);
  auto server2 = s.serve(owner, "other", other);
  REQUIRE(wait_until([&] { return s.workers_of("dev") == 1 && s.workers_of("other") == 1; }));

  roc::Client client(s.as(s.key("lab-pc-3", {{"roc-call", "dev"}})));
  CHECK(client["dev"].call<std::string>("tag") == "device");
  CHECK_THROWS_WITH_AS(client["other"].call<std::string>("tag"),
                       doctest::Contains("not allowed: key 'lab-pc-3' may not call 'other'"), roc::NotAllowed);
  // The broker's own services stay open to every admitted key.
  CHECK(client.exists("other"));
}

TEST_CASE("forged status from a key without roc-publish for it reaches no subscriber and no snapshot") {
  SecuredBroker s;
  const auto watcher = s.as(s.key("operator"));
  auto live = roc::status_updates(watcher, {"vnir"}, 50ms);

  roc::StatusUpdater honest(s.as(s.key("camera-pc", {{"roc-publish", "status.vnir log"}})));
  roc::StatusUpdater forger(s.as(s.key("forger", {{"roc-publish", "log"}})));
  std::set<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((!seen.count("vnir.ok") || s.broker.stats().publications_refused == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    forger.emit("vnir.temperature", 99);
    honest.emit("vnir.ok", 1);
    for (auto u = live.next(20ms); u; u = live.next(20ms)) {
      roc::StatusTree tree;
      tree.merge(u);
      if (tree.find("vnir.ok")) seen.insert("vnir.ok");
      if (tree.find("vnir.temperature")) seen.insert("vnir.temperature");
    }
  }
  CHECK(seen.count("vnir.ok") == 1);
  CHECK(seen.count("vnir.temperature") == 0);
  CHECK(s.broker.stats().publications_refused > 0);

  auto late = roc::status_updates(watcher, {"vnir"}, 2s);
  roc::StatusUpdate snapshot;  // next() also returns (empty) when the connection comes up
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!snapshot.snapshot && std::chrono::steady_clock::now() < until) snapshot = late.next(200ms);
  REQUIRE(snapshot.snapshot);
  roc::StatusTree tree;
  tree.merge(snapshot);
  CHECK(tree.find("vnir.ok") != nullptr);
  CHECK(tree.find("vnir.temperature") == nullptr);
}

TEST_CASE("forged log records from a key without roc-publish for logs reach no subscriber") {
  SecuredBroker s;
  auto records = roc::log::records(s.as(s.key("operator")), {}, 50ms);
  auto logger = [&](const std::string& name, const roc::Certificate& key) {
    auto l = std::make_shared<spdlog::logger>(name);
    l->sinks().push_back(std::make_shared<roc::log::Sink>(s.as(key), name));
    return l;
  };
  auto honest = logger("honest", s.key("camera-pc"));
  auto forger = logger("forger", s.key("forger", {{"roc-publish", "status."}}));

  std::set<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  // Until the forger's records have reached the broker too: its sink sends only once the
  // subscription has reached it, which may be after the honest sink's.
  while ((!seen.count("honest") || s.broker.stats().publications_refused == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    forger->warn("shutter jammed");
    honest->info("shutter fine");
    for (auto r = records.next(20ms); r; r = records.next(20ms)) seen.insert(r->node);
  }
  CHECK(seen.count("honest") == 1);
  CHECK(seen.count("forger") == 0);
  CHECK(s.broker.stats().publications_refused > 0);
}

TEST_CASE("a key taken out of the allow directory loses its rights on its next message") {
  SecuredBroker s;
  Device device;
  auto server = s.serve(s.key("camera-pc"), "dev", device);
  REQUIRE(wait_until([&] { return s.workers_of("dev") == 1; }));

  roc::Client leaving(s.as(s.key("lab-pc-1")));
  roc::Client staying(s.as(s.key("lab-pc-2")));
  // An admitted call takes milliseconds; a dropped one is never answered.
  auto dev = leaving["dev"].with_timeout(600ms);
  REQUIRE(dev.call<std::string>("tag") == "device");  // its connection is up and admitted

  // The other client calls all along; none of its calls may fail.
  std::atomic<bool> calling{true};
  std::atomic<int> good{0}, bad{0};
  std::thread other([&] {
    while (calling) {
      try {
        (staying["dev"].call<std::string>("tag") == "device" ? good : bad)++;
      } catch (const std::exception&) {
        ++bad;
      }
    }
  });

  const auto refused_before = s.broker.stats().not_allowed;
  s.lab.revoke("lab-pc-1");
  s.broker.reload_keys();
  const int good_before = good;
  // On the connection it was admitted on, without a new handshake: the revocation acts per message.
  CHECK_THROWS_AS(dev.call<std::string>("tag"), roc::TimeoutError);
  CHECK(s.broker.stats().not_allowed > refused_before);
  CHECK_THROWS_AS(dev.call<std::string>("tag"), roc::TimeoutError);
  calling = false;
  other.join();
  CHECK(bad == 0);
  CHECK(good > good_before);
}

TEST_CASE("a publisher whose key is taken out of the allow directory reaches no subscriber with its next updates") {
  SecuredBroker s;
  auto live = roc::status_updates(s.as(s.key("operator")), {"vnir"}, 50ms);
  roc::StatusUpdater leaving(s.as(s.key("camera-pc")));
  roc::StatusUpdater staying(s.as(s.key("stage-pc")));

  // The highest value the subscriber has seen under each path; -1 for none.
  std::map<std::string, int> highest{{"vnir.count", -1}, {"vnir.alive", -1}};
  const auto read = [&] {
    for (auto u = live.next(20ms); u; u = live.next(20ms)) {
      roc::StatusTree tree;
      tree.merge(u);
      for (auto& [path, value] : highest)
        if (const auto* v = tree.find(path); v != nullptr && v->IsInt()) value = std::max(value, v->GetInt());
    }
  };

  // Both publishers reach the subscriber before the revocation.
  int n = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((highest["vnir.count"] < 0 || highest["vnir.alive"] < 0) && std::chrono::steady_clock::now() < deadline) {
    leaving.emit("vnir.count", n);
    staying.emit("vnir.alive", n);
    ++n;
    read();
  }
  REQUIRE(highest["vnir.count"] >= 0);
  REQUIRE(highest["vnir.alive"] >= 0);

  const auto refused_before = s.broker.stats().publications_refused;
  s.lab.revoke("camera-pc");
  s.broker.reload_keys();
  // Values from here on are all above every value sent before.
  constexpr int after = 1'000'000;
  n = after;
  const auto publish_and_read = [&] {
    leaving.emit("vnir.count", n);
    staying.emit("vnir.alive", n);
    ++n;
    read();
  };
  deadline = std::chrono::steady_clock::now() + 10s;
  while ((s.broker.stats().publications_refused == refused_before || highest["vnir.alive"] < after) &&
         std::chrono::steady_clock::now() < deadline)
    publish_and_read();
  // A while longer, for anything that got through to arrive.
  const auto until = std::chrono::steady_clock::now() + 600ms;
  while (std::chrono::steady_clock::now() < until) publish_and_read();

  CHECK(s.broker.stats().publications_refused > refused_before);
  CHECK(highest["vnir.count"] < after);
  CHECK(highest["vnir.alive"] >= after);  // the subscriber's own connection stays admitted
}
