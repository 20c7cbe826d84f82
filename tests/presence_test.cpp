// Presence end to end: the worker info frame of READY (codec), mmi.workers through the real
// broker, presence events as real server processes start and die, publishers that try to forge
// them, and `roc list` / `roc list --watch` through the real binary.
#include <doctest/doctest.h>

#include "support/process.hpp"
#include "support/raw_peers.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"
#include "wire/mdp.hpp"

#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/presence.hpp>
#include <roc/server.hpp>
#include <roc/status.hpp>

#include <zmq_addon.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
namespace mdp = roc::detail::mdp;

namespace {

mdp::Frames frames_of(const std::vector<std::string>& parts) {
  mdp::Frames frames;
  for (const auto& part : parts) frames.emplace_back(part.data(), part.size());
  return frames;
}

// A READY as the broker's ROUTER reads it, with `extra` frames after the object id.
mdp::Decoded<mdp::BrokerInbound> ready_with(const std::vector<std::string>& extra) {
  std::vector<std::string> parts = {"worker1", "", "MDPW01", "\x01", "dev"};
  parts.insert(parts.end(), extra.begin(), extra.end());
  auto frames = frames_of(parts);
  return mdp::decode_at_broker(frames);
}

roc::BrokerOptions fast_broker() {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = 100ms;
  options.unknown_object_grace = 300ms;
  return options;
}

std::string this_host() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

const std::string object_server = roc::test::executable_dir() + "/roc_test_object_server";

/// The next event about `id`, skipping others (probes, earlier tests' leftovers), within `timeout`.
std::optional<roc::PresenceEvent> next_event_for(roc::PresenceSubscription& events, const std::string& id,
                                                 std::chrono::milliseconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto event = events.next(100ms);
    if (event && event->id == id) return event;
  }
  return std::nullopt;
}

/// Returns once `events` receives what the broker publishes: a SUB's subscription reaches the
/// broker some time after it connects, and nothing says when. A probe worker of id `probe` (one
/// the subscription takes) registers and leaves until its arrival is seen; its departure is
/// read too, so that the test's next event is its own.
void wait_subscribed(roc::PresenceSubscription& events, const roc::Endpoints& endpoints,
                     const std::string& probe = "probe") {
  zmq::context_t context;
  for (int attempt = 0; attempt < 100; ++attempt) {
    roc::test::MdpPeer worker(context, endpoints.calls());
    worker.send({"", "MDPW01", "\x01", probe});
    bool registered = false;
    const auto until = std::chrono::steady_clock::now() + 100ms;
    while (!registered && std::chrono::steady_clock::now() < until) {
      const auto event = events.next(20ms);
      registered = event && event->id == probe && event->kind == roc::PresenceEvent::Kind::registered;
    }
    worker.send({"", "MDPW01", "\x05"});
    if (!registered) continue;
    while (const auto event = next_event_for(events, probe, 2s))
      if (event->kind == roc::PresenceEvent::Kind::gone) return;
    FAIL("the probe worker's departure was not seen");
  }
  FAIL("the presence subscription never received an event");
}

}  // namespace

// ---- codec -----------------------------------------------------------------------------------

TEST_CASE("a READY's worker info frame is read, and a bad one is set aside without refusing the READY") {
  SUBCASE("valid") {
    auto d = ready_with({"16", "attachments cancel progress", R"({"host":"lab-pc","pid":4242,"program":"vnir-server"})"});
    REQUIRE(d);
    const auto& w = *d.message->worker;
    REQUIRE(w.info);
    CHECK(w.info->host == "lab-pc");
    CHECK(w.info->pid == 4242);
    CHECK(w.info->program == "vnir-server");
    CHECK(w.credit == 16);
  }
  SUBCASE("members a later version adds are ignored") {
    auto d = ready_with({"1", "", R"({"host":"h","pid":1,"program":"p","started":"2026-01-01"})"});
    REQUIRE(d);
    CHECK(d.message->worker->info);
  }
  SUBCASE("absent: a third-party or older worker") {
    auto d = ready_with({"16", "attachments"});
    REQUIRE(d);
    CHECK_FALSE(d.message->worker->info);
    CHECK(d.message->worker->info_error.empty());
  }
  SUBCASE("malformed") {
    const std::string bad[] = {
        "not json",
        R"(["host","pid"])",
        R"({"host":"h","pid":0,"program":"p"})",
        R"({"host":"h","pid":-1,"program":"p"})",
        R"({"host":"h","pid":4294967296,"program":"p"})",
        R"({"host":"h","pid":"12","program":"p"})",
        R"({"host":"h","program":"p"})",
        R"({"host":"h","pid":1})",
        "{\"host\":\"h\\u001b[31m\",\"pid\":1,\"program\":\"p\"}",
        R"({"host":")" + std::string(256, 'h') + R"(","pid":1,"program":"p"})",
        R"({"host":"h","pid":1,"program":"p","pad":")" + std::string(1024, ' ') + R"("})",
        std::string(300, '[') + std::string(300, ']'),
    };
    for (const auto& frame : bad) {
      CAPTURE(frame.substr(0, 80));
      auto d = ready_with({"4", "attachments", frame});
      REQUIRE(d);  // the READY stands
      CHECK_FALSE(d.message->worker->info);
      CHECK_FALSE(d.message->worker->info_error.empty());
      CHECK(d.message->worker->credit == 4);
    }
  }
  SUBCASE("what a roc worker writes, the broker reads back") {
    mdp::WorkerInfo info{"ünï-host", 77, "my server"};
    std::string error;
    const auto read = mdp::parse_worker_info(mdp::format_worker_info(info), error);
    REQUIRE(read);
    CHECK(read->host == info.host);
    CHECK(read->pid == info.pid);
    CHECK(read->program == info.program);
  }
}

// ---- mmi.workers ------------------------------------------------------------------------------

TEST_CASE("mmi.workers lists each object's workers with host, pid, program, uptime and calls served") {
  roc::Broker broker(fast_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  testing_lab::Device device;
  roc::Server first(endpoints, roc::test::fast_server());
  first.publish("dev", device);
  first.start();
  roc::Client client(endpoints);
  REQUIRE(roc::test::wait_until([&] { return client.exists("dev"); }));
  roc::Server second(endpoints, roc::test::fast_server());
  second.publish("dev", device);
  second.start();
  REQUIRE(roc::test::wait_until([&] { return broker.workers()["dev"] == 2; }));

  // A third-party worker says nothing about itself.
  zmq::context_t context;
  roc::test::MdpPeer plain(context, endpoints.calls());
  plain.send({"", "MDPW01", "\x01", "plain"});
  REQUIRE(roc::test::wait_until([&] { return broker.workers()["plain"] == 1; }));

  constexpr int calls = 25;
  for (int i = 0; i < calls; ++i) CHECK(client.object("dev").call<int>("add", i, 1) == i + 1);

  const auto objects = client.workers();
  REQUIRE(objects.size() == 2);
  CHECK(objects[0].id == "dev");  // sorted by id
  CHECK(objects[1].id == "plain");
  REQUIRE(objects[0].workers.size() == 2);
  std::uint64_t served = 0;
  for (const auto& w : objects[0].workers) {
    CHECK(w.described());
    CHECK(w.host == this_host());
    CHECK(w.pid == static_cast<std::uint32_t>(::getpid()));
    CHECK(w.program == "presence_test");
    CHECK(w.uptime_s >= 0);
    CHECK(w.uptime_s < 60);
    CHECK(w.in_flight == 0);
    served += w.calls;
  }
  CHECK(served == calls);
  CHECK(objects[0].workers[0].uptime_s >= objects[0].workers[1].uptime_s);  // oldest first
  REQUIRE(objects[1].workers.size() == 1);
  CHECK_FALSE(objects[1].workers[0].described());
  CHECK(client.workers_json("plain").dump().find(R"("host":null,"pid":null,"program":null)") != std::string::npos);

  SUBCASE("for one id, or none") {
    const auto one = client.workers("dev");
    REQUIRE(one.size() == 1);
    CHECK(one[0].workers.size() == 2);
    CHECK(client.workers("nobody").empty());
  }
  SUBCASE("a call in flight is counted at its worker") {
    auto pending = client.object("dev").call_async<void>("sleep_ms", 500);
    REQUIRE(roc::test::wait_until([&] {
      std::uint64_t in_flight = 0;
      const auto objects = client.workers("dev");  // kept: the loop below reads into it
      for (const auto& w : objects.at(0).workers) in_flight += w.in_flight;
      return in_flight == 1;
    }));
    pending.get();
  }
  SUBCASE("mmi.objects stays as it was") {
    CHECK(client.objects().dump() == R"([{"id":"dev","workers":2},{"id":"plain","workers":1}])");
  }
}

// ---- presence events --------------------------------------------------------------------------

TEST_CASE("presence events tell when a server process registers, is joined, and is killed") {
  roc::Broker broker(fast_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  auto events = roc::presence_events(endpoints, {}, 100ms);
  wait_subscribed(events, endpoints);

  roc::test::Child first({object_server, endpoints.address(), "lab.dev"});
  auto registered = next_event_for(events, "lab.dev");
  REQUIRE(registered);
  CHECK(registered->kind == roc::PresenceEvent::Kind::registered);
  CHECK(registered->event == "registered");
  CHECK(registered->workers == 1);
  CHECK(registered->worker.pid == static_cast<std::uint32_t>(first.pid()));
  CHECK(registered->worker.host == this_host());
  CHECK(registered->worker.program == "roc_test_object_server");
  CHECK(registered->reason.empty());

  roc::test::Child second({object_server, endpoints.address(), "lab.dev"});
  auto joined = next_event_for(events, "lab.dev");
  REQUIRE(joined);
  CHECK(joined->kind == roc::PresenceEvent::Kind::worker_joined);
  CHECK(joined->workers == 2);
  CHECK(joined->worker.pid == static_cast<std::uint32_t>(second.pid()));

  ::kill(second.pid(), SIGKILL);
  auto left = next_event_for(events, "lab.dev");
  REQUIRE(left);
  CHECK(left->kind == roc::PresenceEvent::Kind::worker_left);
  CHECK(left->workers == 1);
  CHECK(left->reason == "connection-lost");
  CHECK(left->worker.pid == static_cast<std::uint32_t>(second.pid()));

  ::kill(first.pid(), SIGKILL);
  auto gone = next_event_for(events, "lab.dev");
  REQUIRE(gone);
  CHECK(gone->kind == roc::PresenceEvent::Kind::gone);
  CHECK(gone->workers == 0);
  CHECK(gone->reason == "connection-lost");
  CHECK(gone->worker.pid == static_cast<std::uint32_t>(first.pid()));
  CHECK(events.dropped() == 0);
}

TEST_CASE("a server that stops says goodbye, and a silent worker expires: the events say which") {
  roc::Broker broker(fast_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  roc::PresenceSubscription events(endpoints, {"dev", "silent"}, 100ms);
  wait_subscribed(events, endpoints, "dev");

  testing_lab::Device device;
  auto server = std::make_unique<roc::Server>(endpoints, roc::test::fast_server());
  server->publish("dev", device);
  server->start();
  REQUIRE(next_event_for(events, "dev"));
  server->stop();
  auto gone = next_event_for(events, "dev");
  REQUIRE(gone);
  CHECK(gone->event == "gone");
  CHECK(gone->reason == "disconnect");

  zmq::context_t context;
  roc::test::MdpPeer silent(context, endpoints.calls());
  silent.send({"", "MDPW01", "\x01", "silent"});
  REQUIRE(next_event_for(events, "silent"));
  auto expired = next_event_for(events, "silent", 5s);  // 3 heartbeats of 100 ms
  REQUIRE(expired);
  CHECK(expired->event == "gone");
  CHECK(expired->reason == "expired");
  CHECK_FALSE(expired->worker.described());
}

TEST_CASE("a subscription to some ids gets only theirs, not those of ids they prefix") {
  roc::Broker broker(fast_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  roc::PresenceSubscription all(endpoints, {}, 100ms);
  roc::PresenceSubscription cam(endpoints, {"cam"}, 100ms);
  wait_subscribed(all, endpoints);
  wait_subscribed(cam, endpoints, "cam");
  zmq::context_t context;
  roc::test::MdpPeer camera(context, endpoints.calls());
  camera.send({"", "MDPW01", "\x01", "camera"});
  REQUIRE(next_event_for(all, "camera"));
  // camera's events reach cam's socket (its ZeroMQ prefix roc.presence.cam takes them) and stop there.
  CHECK_FALSE(cam.next(300ms));
}

TEST_CASE("a publisher cannot forge presence events: the broker drops and counts them") {
  roc::Broker broker(fast_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  auto events = roc::presence_events(endpoints, {}, 50ms);
  wait_subscribed(events, endpoints);

  zmq::context_t context;
  zmq::socket_t publisher(context, zmq::socket_type::pub);
  publisher.set(zmq::sockopt::linger, 0);
  publisher.connect(endpoints.publish());
  const std::string body =
      R"({"event":"registered","id":"x","workers":1,"worker":{"host":"h","pid":1,"program":"p","uptime_s":0,"calls":0,"in_flight":0}})";
  // The publisher sends only once the broker's subscription (passed up from ours) has reached it.
  REQUIRE(roc::test::wait_until([&] {
    publisher.send(zmq::str_buffer("roc.presence.x"), zmq::send_flags::sndmore);
    publisher.send(zmq::buffer(body), zmq::send_flags::none);
    return broker.stats().publications_forged > 0;
  }));
  CHECK_FALSE(next_event_for(events, "x", 300ms));

  // The same rule covers every topic of the broker's own: a forged stale notice reaches no
  // status subscriber, whose subscription to roc.stale.x passes it up to the publisher.
  roc::StatusSubscription status(endpoints, {"x"}, 50ms);
  REQUIRE(roc::test::wait_until([&] { return status.next().snapshot; }, 5s));
  const auto forged_before = broker.stats().publications_forged;
  REQUIRE(roc::test::wait_until([&] {
    publisher.send(zmq::str_buffer("roc.stale.x"), zmq::send_flags::sndmore);
    publisher.send(zmq::str_buffer(R"({"emitted":1,"publisher":null,"reason":"disconnected"})"), zmq::send_flags::none);
    return broker.stats().publications_forged > forged_before;
  }));
  for (int i = 0; i < 5; ++i) CHECK_FALSE(status.next().stale);

  // The broker's own events still flow.
  roc::test::MdpPeer worker(context, endpoints.calls());
  worker.send({"", "MDPW01", "\x01", "real"});
  CHECK(next_event_for(events, "real"));
}

// ---- roc list ---------------------------------------------------------------------------------

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("roc list shows each worker's host and pid, and --json gives mmi.workers") {
  roc::Broker broker(fast_broker());
  broker.start();
  const auto endpoints = broker.endpoints();
  roc::test::Child server({object_server, endpoints.address(), "lab.dev"});
  roc::Client client(endpoints);
  REQUIRE(roc::test::wait_until([&] { return client.exists("lab.dev"); }, 10s));

  auto table = roc::test::run({ROC_CLI, "--broker", endpoints.address(), "list"});
  CHECK(table.code == 0);
  CHECK(table.out.find("HOST") != std::string::npos);
  CHECK(table.out.find("lab.dev") != std::string::npos);
  CHECK(table.out.find(this_host()) != std::string::npos);
  CHECK(table.out.find(std::to_string(server.pid())) != std::string::npos);
  CHECK(table.out.find("roc_test_object_server") != std::string::npos);

  auto json = roc::test::run({ROC_CLI, "--broker", endpoints.address(), "--json", "list"});
  CHECK(json.code == 0);
  const auto listing = roc::parse_workers(json.out);
  REQUIRE(listing.size() == 1);
  CHECK(listing[0].workers.at(0).pid == static_cast<std::uint32_t>(server.pid()));
}

TEST_CASE("roc list --watch prints the registration and the goodbye of a server, and says when it loses the broker") {
  auto broker = std::make_unique<roc::Broker>(fast_broker());
  broker->start();
  const auto endpoints = broker->endpoints();
  const auto output = roc::test::executable_dir() + "/presence-watch-" + std::to_string(::getpid()) + ".txt";
  roc::test::Child watch({ROC_CLI, "--broker", endpoints.address(), "list", "--watch"}, output);
  const auto count = [&](const std::string& text) {
    const auto all = read_file(output);
    std::size_t n = 0;
    for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + 1)) ++n;
    return n;
  };
  // The listing comes once the watch has subscribed and asked the broker.
  REQUIRE(roc::test::wait_until([&] { return count("no objects registered") == 1; }, 10s));

  auto server = std::make_unique<roc::test::Child>(std::vector<std::string>{object_server, endpoints.address(), "lab.dev"});
  const auto pid = std::to_string(server->pid());
  CHECK(roc::test::wait_until([&] { return count("lab.dev  registered: " + this_host() + " pid " + pid) == 1; }, 10s));
  ::kill(server->pid(), SIGKILL);
  CHECK(roc::test::wait_until([&] { return count("lab.dev  gone (connection-lost): " + this_host() + " pid " + pid) == 1; }, 10s));

  // A broker restart on the same port: said, and the list shown afresh.
  broker.reset();
  CHECK(roc::test::wait_until([&] { return count("roc list: lost the connection to the broker") == 1; }, 10s));
  auto options = fast_broker();
  options.bind = endpoints.address();
  broker = std::make_unique<roc::Broker>(options);
  broker->start();
  CHECK(roc::test::wait_until([&] { return count("again") == 1 && count("no objects registered") == 2; }, 15s));
  CAPTURE(read_file(output));
  CHECK(watch.wait(0ms) == std::nullopt);  // still watching
}

TEST_CASE("roc list falls back to mmi.objects on a broker without mmi.workers, and says so") {
  // A broker that knows mmi.objects but not mmi.workers, as an older roc broker.
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind("tcp://127.0.0.1:*");
  const auto endpoint = router.get(zmq::sockopt::last_endpoint);
  const auto address = endpoint.substr(endpoint.rfind('/') + 1);
  std::atomic<bool> stop{false};
  std::thread answering([&] {
    while (!stop) {
      mdp::Frames request;
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, 50ms) == 0) continue;
      if (!zmq::recv_multipart(router, std::back_inserter(request)) || request.size() < 4) continue;
      const auto service = request[3].to_string();
      const std::string answer = service == "mmi.objects" ? R"([{"id":"old.dev","workers":2}])" : "501";
      std::vector<zmq::const_buffer> reply = {zmq::buffer(request[0].data(), request[0].size()), zmq::str_buffer(""),
                                              zmq::str_buffer("MDPC01"), zmq::buffer(service), zmq::buffer(answer)};
      zmq::send_multipart(router, reply);
    }
  });
  auto result = roc::test::run({ROC_CLI, "--broker", address, "list"});
  stop = true;
  answering.join();
  CHECK(result.code == 0);
  CHECK(result.out.find("old.dev") != std::string::npos);
  CHECK(result.err.find("does not support mmi.workers") != std::string::npos);
  CHECK(result.err.find("mmi.objects") != std::string::npos);
}
