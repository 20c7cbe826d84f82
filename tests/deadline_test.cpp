// Deadlines and bounded queues at the broker, through a real roc::Broker, roc::Server and
// roc::Client on loopback TCP: calls whose caller gave up never run, queues refuse with -32005
// beyond their bounds, a disconnected client's queued calls are dropped, plain 7/MDP peers are
// unaffected, and the sweep gives memory back with no worker activity.
#include "support/raw_peers.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Frames = std::vector<zmq::message_t>;
using roc::test::MdpPeer;
using testing_lab::Device;

namespace {

roc::BrokerOptions fast_broker() {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = 100ms;
  options.unknown_object_grace = 300ms;
  return options;
}

// Credit 1: the worker holds one call, so everything behind it waits at the broker.
roc::ServerOptions one_at_a_time() {
  roc::ServerOptions options;
  options.heartbeat_interval = 100ms;
  options.reconnect_delay = 20ms;
  options.credit = 1;
  return options;
}

/// A broker, a server publishing a Device as "dev" at credit 1, and a client.
struct Rig {
  explicit Rig(roc::BrokerOptions broker_options = fast_broker()) : broker(broker_options) {
    broker.start();
    endpoints = broker.endpoints();
    server = std::make_unique<roc::Server>(endpoints, one_at_a_time());
    server->publish("dev", device);
    server->start();
    client = std::make_unique<roc::Client>(endpoints);
    REQUIRE(roc::test::wait_until([&] { return client->exists("dev"); }));
  }
  ~Rig() {
    client.reset();
    server->stop();
    broker.stop();
  }

  roc::ObjectHandle dev() const { return client->object("dev"); }
  /// Waits until `n` calls wait in the broker's queues.
  bool queued(std::uint64_t n) {
    return roc::test::wait_until([&] { return broker.stats().queued == n; });
  }

  roc::Broker broker;
  roc::Endpoints endpoints;
  Device device;
  std::unique_ptr<roc::Server> server;
  std::unique_ptr<roc::Client> client;
};

// Raw workers in these tests do not heartbeat: a slow expiry keeps them registered.
roc::BrokerOptions patient_broker() {
  auto options = fast_broker();
  options.heartbeat_interval = 1000ms;
  return options;
}

std::string str(const zmq::message_t& m) { return m.to_string(); }

std::string request_body(int id, const std::string& method, const std::string& params = "[]") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":)" + params +
         "}";
}

// Whether the future failed with exception type E within `timeout`.
template <class E, class T>
bool fails_with(std::future<T>& future, std::chrono::milliseconds timeout = 3s) {
  if (future.wait_for(timeout) != std::future_status::ready) return false;
  try {
    future.get();
  } catch (const E&) {
    return true;
  } catch (...) {
  }
  return false;
}

}  // namespace

TEST_CASE("calls whose caller gave up while queued behind a slow call never run, and the broker counts them") {
  Rig rig;
  auto dev = rig.dev();
  // One socket, so the broker gets the slow call first and hands it to the idle worker.
  auto slow = dev.call_async<std::int64_t>("sleep_ms", 700);
  std::vector<std::future<std::int64_t>> late;
  for (int i = 0; i < 5; ++i) late.push_back(dev.with_timeout(100ms).call_async<std::int64_t>("sleep_ms", 1));
  for (auto& f : late) CHECK(fails_with<roc::TimeoutError>(f));

  REQUIRE(slow.wait_for(3s) == std::future_status::ready);
  CHECK(slow.get() == 700);
  CHECK(dev.call<std::int64_t>("sleep_ms", 2) == 2);  // served at once: nothing ran in between
  CHECK(rig.device.calls_finished == 2);
  const auto stats = rig.broker.stats();
  // Each caller cancels as it gives up (PROTOCOL §2.6): the broker drops a call for whichever
  // comes first, its deadline or its cancel.
  CHECK(stats.expired_calls + stats.cancelled == 5);
  CHECK(stats.queued == 0);
  CHECK(stats.queued_bytes == 0);
}

TEST_CASE("the sweep frees the queues of expired calls while the worker is still busy") {
  Rig rig;
  // A plain 7/MDP client with roc's call header: it gives up without a cancel (PROTOCOL §2.6).
  // One connection, so the broker sees the slow call first and the late ones queue behind it.
  zmq::context_t context;
  MdpPeer late(context, rig.endpoints.calls());
  const auto sleep_ms = [](int id, int ms) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"sleep_ms","params":[)" +
           std::to_string(ms) + "]}";
  };
  late.call("dev", sleep_ms(100, 2000), 5s);
  for (int i = 0; i < 20; ++i) late.call("dev", sleep_ms(i, 1), 150ms);
  // The broker sets its counters one after another, and a read may fall between two of them:
  // each wait here is for the whole state the checks after it expect.
  REQUIRE(roc::test::wait_until(
      [&] {
        const auto s = rig.broker.stats();
        return s.queued >= 1 && s.queued_bytes > 0;
      },
      2s));

  // Nothing comes back from the worker before 2 s and nobody cancels: only the broker's timer
  // can free these.
  CHECK(roc::test::wait_until(
      [&] {
        const auto s = rig.broker.stats();
        return s.queued == 0 && s.expired_calls == 20;
      },
      1500ms));
  CHECK(rig.device.calls_finished == 0);
  const auto stats = rig.broker.stats();
  CHECK(stats.expired_calls == 20);
  CHECK(stats.cancelled == 0);
  CHECK(stats.queued_bytes == 0);
  CHECK(late.reply(3s) == R"({"jsonrpc":"2.0","id":100,"result":2000})");
  CHECK(rig.device.calls_finished == 1);
  CHECK_FALSE(late.reply(100ms));  // the others were dropped unrun, without a reply
}

TEST_CASE("a full queue answers -32005 at once and the object keeps serving") {
  SUBCASE("the per-object bound") {
    auto options = fast_broker();
    options.max_queued_per_object = 3;
    Rig rig(options);
    auto dev = rig.dev();
    auto slow = dev.call_async<std::int64_t>("sleep_ms", 500);
    std::vector<std::future<std::int64_t>> waiting;
    for (int i = 0; i < 3; ++i) waiting.push_back(dev.call_async<std::int64_t>("sleep_ms", 1));
    REQUIRE(rig.queued(3));

    const auto start = Clock::now();
    try {
      dev.call<std::int64_t>("sleep_ms", 1);
      FAIL("a call beyond the bound was accepted");
    } catch (const roc::ObjectBusy& e) {
      CHECK(e.code() == roc::error_code::object_busy);
      CHECK_MESSAGE(e.message().find("object 'dev' is busy: 3 calls queued") != std::string::npos, e.message());
      CHECK_MESSAGE(e.message().find("max_queued_per_object") != std::string::npos, e.message());
    }
    CHECK(Clock::now() - start < 300ms);  // refused, not left to wait behind the slow call
    CHECK(rig.broker.stats().busy == 1);

    CHECK(slow.get() == 500);
    for (auto& f : waiting) CHECK(f.get() == 1);
    CHECK(dev.call<std::int64_t>("sleep_ms", 1) == 1);
    CHECK(rig.device.calls_finished == 5);
  }
  SUBCASE("the bound on the bytes of all queues") {
    auto options = fast_broker();
    options.max_request_bytes = 1024;
    options.max_queued_bytes = 2048;
    Rig rig(options);
    auto dev = rig.dev();
    auto slow = dev.call_async<std::int64_t>("sleep_ms", 500);
    const std::string text(600, 'x');
    std::vector<std::future<std::string>> waiting;
    for (int i = 0; i < 2; ++i) waiting.push_back(dev.call_async<std::string>("echo_string", text));
    REQUIRE(rig.queued(2));
    CHECK(rig.broker.stats().queued_bytes <= 2048);
    try {
      dev.call<std::string>("echo_string", text);
      FAIL("a call beyond max_queued_bytes was accepted");
    } catch (const roc::ObjectBusy& e) {
      CHECK_MESSAGE(e.message().find("max_queued_bytes") != std::string::npos, e.message());
    }
    CHECK(slow.get() == 500);
    for (auto& f : waiting) CHECK(f.get() == text);
    CHECK(rig.broker.stats().queued_bytes == 0);
  }
}

TEST_CASE("calls to many unknown ids are bounded by max_queued_bytes and answered after the grace") {
  auto options = fast_broker();
  options.max_request_bytes = 1024;
  options.max_queued_bytes = 16 * 1024;
  roc::Broker broker(options);
  broker.start();
  roc::Client client(broker.endpoints());
  std::vector<std::future<roc::Json>> calls;
  for (int i = 0; i < 200; ++i) calls.push_back(client.object("ghost-" + std::to_string(i)).call_async("ping"));
  REQUIRE(roc::test::wait_until([&] {
    const auto s = broker.stats();
    CHECK(s.queued_bytes <= options.max_queued_bytes);
    return s.busy + s.queued + s.not_found == 200;
  }));
  int busy = 0, not_found = 0;
  for (auto& f : calls) {
    REQUIRE(f.wait_for(3s) == std::future_status::ready);
    try {
      f.get();
    } catch (const roc::ObjectBusy&) {
      ++busy;
    } catch (const roc::ObjectNotFound&) {
      ++not_found;
    }
  }
  CHECK(busy + not_found == 200);
  CHECK(busy > 0);
  CHECK(not_found > 0);
  // The entries made for the unknown ids are gone too (counted just after the last reply).
  CHECK(roc::test::wait_until([&] { return broker.stats().queued_bytes == 0; }));
  CHECK(broker.stats().queued == 0);
}

TEST_CASE("the queued calls of a client that disconnects are dropped and others are served next") {
  Rig rig;
  auto dev = rig.dev();
  constexpr int flood = 40;

  SUBCASE("a roc::Client that is destroyed") {
    auto flooder = std::make_unique<roc::Client>(rig.endpoints);
    std::future<std::int64_t> slow;
    std::vector<std::future<std::int64_t>> queued;
    {
      auto handle = flooder->object("dev").with_timeout(30s);  // shares the client's connection
      slow = handle.call_async<std::int64_t>("sleep_ms", 500);
      for (int i = 0; i < flood; ++i) queued.push_back(handle.call_async<std::int64_t>("sleep_ms", 100));
    }
    REQUIRE(rig.queued(flood));
    flooder.reset();
    CHECK(fails_with<roc::Error>(slow));  // the client's own goodbye to its pending calls
    for (auto& f : queued) CHECK(fails_with<roc::Error>(f));
  }
  SUBCASE("a raw DEALER that is closed") {
    zmq::context_t context;
    MdpPeer flooder(context, rig.endpoints.calls());
    flooder.send({"", "MDPC01", "dev", "roc/1 timeout-ms=30000", request_body(1, "sleep_ms", "[500]")});
    for (int i = 0; i < flood; ++i) flooder.send({"", "MDPC01", "dev", request_body(2 + i, "sleep_ms", "[100]")});
    REQUIRE(rig.queued(flood));
    flooder.close();
  }

  // All three, as above: the broker sets them one after another.
  CHECK(roc::test::wait_until(
      [&] {
        const auto s = rig.broker.stats();
        return s.abandoned_calls == flood && s.queued == 0 && s.queued_bytes == 0;
      },
      2s));
  CHECK(rig.broker.stats().abandoned_calls == flood);
  CHECK(rig.broker.stats().queued == 0);
  CHECK(rig.broker.stats().queued_bytes == 0);
  // Served right after the call in progress, not after 40 × 100 ms of abandoned calls.
  const auto start = Clock::now();
  CHECK(dev.with_timeout(2s).call<std::int64_t>("sleep_ms", 1) == 1);
  CHECK(Clock::now() - start < 1000ms);
  CHECK(rig.device.calls_finished == 2);  // the call in progress and ours
}

namespace {

// A raw worker for "plain" gets one call from a roc::Client; returns the REQUEST's frames after
// answering it.
Frames serve_one_raw_call(Rig& rig, bool with_credit_frame) {
  zmq::context_t context;
  MdpPeer worker(context, rig.endpoints.calls());
  if (with_credit_frame)
    worker.send({"", "MDPW01", "\x01", "plain", "1"});
  else
    worker.send({"", "MDPW01", "\x01", "plain"});
  REQUIRE(roc::test::wait_until([&] { return rig.client->exists("plain"); }));

  auto call = rig.client->object("plain").with_timeout(1500ms).call_async<int>("add", 1, 2);
  std::optional<Frames> request;
  for (int i = 0; i < 50 && !request; ++i) {
    auto frames = worker.recv(2s);
    REQUIRE(frames);
    if (frames->size() >= 3 && str((*frames)[2]) == "\x02") request = std::move(frames);  // not HEARTBEAT
  }
  REQUIRE(request);
  REQUIRE(request->size() >= 6);
  const std::string body = str(request->back());
  REQUIRE(body.front() == '{');
  const auto id_at = body.find("\"id\":") + 5;
  const auto id = body.substr(id_at, body.find(',', id_at) - id_at);
  worker.send({"", "MDPW01", "\x03", str((*request)[3]), "", R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":3})"});
  CHECK(call.get() == 3);
  return std::move(*request);
}

}  // namespace

TEST_CASE("plain 7/MDP peers work unchanged next to the call header") {
  Rig rig(patient_broker());
  zmq::context_t context;

  SUBCASE("a client that sends no header is served, and without a deadline") {
    MdpPeer client(context, rig.endpoints.calls());
    client.send({"", "MDPC01", "dev", request_body(7, "add", "[2,3]")});
    auto reply = client.recv(2s);
    REQUIRE(reply);
    REQUIRE(reply->size() == 4);
    CHECK(str((*reply)[2]) == "dev");
    const auto body = str((*reply)[3]);
    CHECK_MESSAGE(body.find(R"("result":5)") != std::string::npos, body);
  }

  SUBCASE("a third-party worker gets no header") {
    auto request = serve_one_raw_call(rig, false);
    CHECK(request.size() == 6);  // the JSON body is the first and only body frame
  }

  SUBCASE("a roc worker gets a header with the time its caller has left") {
    auto request = serve_one_raw_call(rig, true);
    REQUIRE(request.size() == 7);
    const std::string header = str(request[5]);
    CHECK_MESSAGE(header.rfind("roc/1 timeout-ms=", 0) == 0, header);
    const long left = std::stol(header.substr(header.find('=') + 1));
    CHECK(left > 1000);
    CHECK(left <= 1500);
  }
}

TEST_CASE("a worker declaring a huge credit holds at most max_worker_credit calls") {
  auto options = patient_broker();
  options.max_worker_credit = 4;
  roc::Broker broker(options);
  broker.start();
  zmq::context_t context;
  MdpPeer worker(context, broker.endpoints().calls());
  worker.send({"", "MDPW01", "\x01", "greedy", "1048576"});
  REQUIRE(roc::test::wait_until([&] { return broker.workers().count("greedy") == 1; }));
  MdpPeer client(context, broker.endpoints().calls());
  for (int i = 0; i < 10; ++i) client.send({"", "MDPC01", "greedy", request_body(i, "never")});
  REQUIRE(roc::test::wait_until([&] { return broker.stats().queued == 6; }));
  int requests = 0;
  const auto until = Clock::now() + 500ms;
  while (Clock::now() < until) {
    auto frames = worker.recv(50ms);
    if (frames && frames->size() >= 3 && str((*frames)[2]) == "\x02") ++requests;
  }
  CHECK(requests == 4);
}

TEST_CASE("broker options out of range are refused by name") {
  auto options = fast_broker();
  SUBCASE("an empty queue bound") {
    options.max_queued_per_object = 0;
    CHECK_THROWS_WITH_AS(roc::Broker{options}, doctest::Contains("max_queued_per_object"), std::invalid_argument);
  }
  SUBCASE("a byte bound below the largest request") {
    options.max_queued_bytes = options.max_request_bytes - 1;
    CHECK_THROWS_WITH_AS(roc::Broker{options}, doctest::Contains("max_queued_bytes"), std::invalid_argument);
  }
  SUBCASE("no credit for workers") {
    options.max_worker_credit = 0;
    CHECK_THROWS_WITH_AS(roc::Broker{options}, doctest::Contains("max_worker_credit"), std::invalid_argument);
  }
}
