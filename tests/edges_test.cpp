// The protocol's edges, over real sockets: deadlines at the worker and roc::CallContext, long
// calls through a broker that heartbeats only idle workers, refused registrations, stalled and
// huge frames from raw TCP peers, and a broker without roc's mmi.objects.
#include "wire/mdp.hpp"
#include "support/log_capture.hpp"
#include "support/mini_broker.hpp"
#include "support/process.hpp"
#include "support/raw_peers.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using roc::test::LogCapture;
using Clock = std::chrono::steady_clock;
namespace mdp = roc::detail::mdp;
using roc::test::BrokerProcess;
using roc::test::MdpPeer;
using roc::test::RawTcpPeer;
using roc::test::rss_kib;

using roc::test::fast_server;

namespace {

struct Timed {
  std::atomic<int> ticks{0};
  std::int64_t remaining_ms() {
    const auto left = roc::CallContext::current().remaining();
    return left ? left->count() : -1;
  }
  std::string object_id() { return std::string(roc::CallContext::current().object_id()); }
  std::int64_t sleep_ms(std::int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  }
  std::int64_t tick() { return ++ticks; }
};

const roc::Binding<Timed>& timed_binding() {
  static const auto binding = roc::Binding<Timed>("edges::Timed", "Reads its call's context; sleeps; counts.")
                                  .method("remaining_ms", &Timed::remaining_ms)
                                  .method("object_id", &Timed::object_id)
                                  .method("sleep_ms", &Timed::sleep_ms, {"ms"})
                                  .method("tick", &Timed::tick);
  return binding;
}

// "tcp://127.0.0.1:N" → "127.0.0.1:N", what roc::Endpoints and `roc --broker` take.
std::string host_port(const std::string& endpoint) { return endpoint.substr(endpoint.find("//") + 2); }

std::string request(int id, const std::string& method, const std::string& params = "[]") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":)" + params +
         "}";
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_MESSAGE(!d.HasParseError(), text);
  return d;
}

}  // namespace

// ---- deadlines at the worker and CallContext -----------------------------------------------

TEST_CASE("CallContext outside a call is empty and harmless") {
  const auto& context = roc::CallContext::current();
  CHECK(context.object_id().empty());
  CHECK_FALSE(context.deadline());
  CHECK_FALSE(context.remaining());
  CHECK_FALSE(context.expired());
}

TEST_CASE("A method reads the caller's remaining time and its object id from CallContext") {
  roc::test::MiniBroker broker({});
  Timed timed;
  roc::Server server(roc::Endpoints(host_port(broker.endpoint())), fast_server());
  server.publish("timed", timed, timed_binding());
  server.start();
  zmq::context_t context;
  MdpPeer client(context, broker.endpoint());

  client.call("timed", request(1, "remaining_ms"), 1500ms);
  auto reply = client.reply(5s);
  REQUIRE(reply);
  auto d = parse(*reply);
  REQUIRE_MESSAGE(d.HasMember("result"), *reply);
  CHECK(d["result"].GetInt64() > 1300);
  CHECK(d["result"].GetInt64() <= 1500);

  client.call("timed", request(2, "remaining_ms"));  // a plain 7/MDP caller: no deadline
  reply = client.reply(5s);
  REQUIRE(reply);
  CHECK(parse(*reply)["result"].GetInt64() == -1);

  client.call("timed", request(3, "object_id"), 1000ms);
  reply = client.reply(5s);
  REQUIRE(reply);
  CHECK(std::string(parse(*reply)["result"].GetString()) == "timed");
}

TEST_CASE("Calls queued at the worker behind a slow call whose callers gave up are not executed") {
  roc::test::MiniBroker::Options options;
  options.credit = true;  // the broker may queue calls at the worker, as roc's does
  roc::test::MiniBroker broker(options);
  Timed timed;
  roc::Server server(roc::Endpoints(host_port(broker.endpoint())), fast_server());
  server.publish("timed", timed, timed_binding());
  server.start();
  zmq::context_t context;
  MdpPeer client(context, broker.endpoint());

  client.call("timed", request(1, "sleep_ms", "[600]"), 5000ms);
  std::this_thread::sleep_for(100ms);  // the slow call is running
  for (int id = 2; id <= 6; ++id) client.call("timed", request(id, "tick"), 200ms);
  auto first = client.reply(5s);
  REQUIRE(first);
  CHECK(parse(*first)["result"].GetInt64() == 600);
  for (int id = 2; id <= 6; ++id) {
    auto reply = client.reply(5s);
    REQUIRE(reply);
    auto d = parse(*reply);
    REQUIRE_MESSAGE(d.HasMember("error"), *reply);
    CHECK(d["error"]["code"].GetInt() == roc::error_code::deadline_expired);
    CHECK(d["id"].GetInt() == id);
  }
  CHECK(timed.ticks == 0);

  client.call("timed", request(7, "tick"), 1000ms);  // a live caller is served again
  auto reply = client.reply(5s);
  REQUIRE(reply);
  CHECK(parse(*reply)["result"].GetInt64() == 1);
}

// ---- long calls on any Majordomo broker --------------------------------------------------------

TEST_CASE("A call longer than the broker's expiry, then another at once: both answered by the same worker") {
  roc::test::MiniBroker broker({});  // heartbeats idle workers only, every 100 ms, expiry 300 ms
  Timed timed;
  roc::Server server(roc::Endpoints(host_port(broker.endpoint())), fast_server());
  server.publish("timed", timed, timed_binding());
  server.start();
  REQUIRE(roc::test::wait_until([&] { return broker.readies().size() == 1; }));
  zmq::context_t context;
  MdpPeer client(context, broker.endpoint());

  client.call("timed", request(1, "sleep_ms", "[900]"));
  auto reply = client.reply(5s);
  REQUIRE(reply);
  CHECK(parse(*reply)["result"].GetInt64() == 900);
  client.call("timed", request(2, "tick"));
  reply = client.reply(2s);
  REQUIRE_MESSAGE(reply, "the second call was lost");
  CHECK(parse(*reply)["result"].GetInt64() == 1);
  std::this_thread::sleep_for(500ms);  // idle past the expiry: the broker's heartbeats keep it
  CHECK(broker.readies().size() == 1);
  CHECK(broker.disconnects() == 0);
}

TEST_CASE("A worker that gives up on a silent broker says DISCONNECT before registering again") {
  roc::test::MiniBroker::Options options;
  options.silent = true;
  roc::test::MiniBroker broker(options);
  Timed timed;
  roc::Server server(roc::Endpoints(host_port(broker.endpoint())), fast_server());
  server.publish("timed", timed, timed_binding());
  server.start();
  REQUIRE(roc::test::wait_until([&] { return broker.readies().size() >= 2; }, 3s));
  CHECK(roc::test::wait_until([&] { return broker.disconnects() >= 1; }, 1s));
  const auto readies = broker.readies();
  CHECK(readies[0] != readies[1]);  // a new socket: the broker must not route to the old one
}

// ---- refused registrations ------------------------------------------------------------------

TEST_CASE("The broker answers a READY it refuses with a DISCONNECT that says why") {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  zmq::context_t context(1);
  auto refusal_for = [&](const std::string& id) -> std::string {
    MdpPeer worker(context, broker.endpoints().calls());
    worker.send({"", "MDPW01", "\x01", id, "1"});  // READY with credit 1
    auto frames = worker.recv(3s);
    REQUIRE(frames);
    auto decoded = mdp::decode_at_worker(*frames);
    REQUIRE(decoded);
    CHECK(decoded.message->command == mdp::Command::disconnect);
    return decoded.message->reason;
  };
  CHECK(refusal_for("mmi.mine").find("reserved") != std::string::npos);
  CHECK(refusal_for(std::string(300, 'x')).find("printable UTF-8") != std::string::npos);
  CHECK(refusal_for("bell\x07").find("printable UTF-8") != std::string::npos);
  CHECK(broker.workers().empty());
}

TEST_CASE("A refused worker logs the broker's reason once and backs off") {
  LogCapture log;  // first in, last out: spdlog's sink list must not change while threads log
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  Timed timed;
  roc::Server server(broker.endpoints(), fast_server());
  server.publish(std::string(300, 'x'), timed, timed_binding());  // too long for any broker's registry
  server.start();
  std::this_thread::sleep_for(2500ms);  // READY at 0 s, 1 s, 3 s: pauses of 1 s doubling
  server.stop();
  const auto refused = broker.stats().dropped;
  CHECK(refused >= 2);
  CHECK(refused <= 3);
  CHECK(log.count("refused to register it (READY refused: READY with a service name that is not printable") == 1);
}

TEST_CASE("A worker backs off from a third-party broker that refuses every READY without a reason") {
  roc::test::MiniBroker::Options options;
  options.refuse_ready = true;
  roc::test::MiniBroker broker(options);
  Timed timed;
  roc::Server server(roc::Endpoints(host_port(broker.endpoint())), fast_server());
  server.publish("timed", timed, timed_binding());
  server.start();
  std::this_thread::sleep_for(2500ms);  // READY at 0, again at once (a restart?), then 1 s, 3 s
  server.stop();
  CHECK(broker.readies().size() >= 2);
  CHECK(broker.readies().size() <= 4);
}

// ---- stalled and huge frames from raw TCP peers ----------------------------------------------

namespace {

roc::BrokerOptions impatient_broker() {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = 10s;  // no MDP traffic: only ZMTP keeps idle connections alive
  options.handshake_timeout = 300ms;
  options.ping_interval = 200ms;
  options.connection_timeout = 400ms;
  return options;
}

void check_still_serves(roc::Broker& broker) {
  Timed timed;
  roc::Server server(broker.endpoints(), fast_server());
  server.publish("after", timed, timed_binding());
  server.start();
  roc::Client client(broker.endpoints(), {3s});
  CHECK(client["after"].call<std::int64_t>("tick") == 1);
}

}  // namespace

TEST_CASE("Peers that never finish the handshake or stall in a frame are dropped, and the broker serves on") {
  roc::Broker broker(impatient_broker());
  broker.start();
  const unsigned port = broker.endpoints().port();
  for (unsigned p : {unsigned(port), port + 1u, port + 2u}) {  // ROUTER, XSUB, XPUB
    CAPTURE(p);
    RawTcpPeer silent(p);
    RawTcpPeer half_greeting(p);
    half_greeting.send_raw(std::string("\xff\0\0\0", 4));
    RawTcpPeer stalled(p);
    stalled.handshake(p == port ? "DEALER" : p == port + 1 ? "PUB" : "SUB");
    stalled.declare_frame(1 << 20);
    CHECK(stalled.send_zeros(64 << 10) == (64 << 10));
    CHECK(silent.closed_within(2s));
    CHECK(half_greeting.closed_within(1s));
    CHECK(stalled.closed_within(3s));
  }
  check_still_serves(broker);
}

TEST_CASE("A frame declared over max_message_bytes is cut off at once") {
  roc::Broker broker(impatient_broker());
  broker.start();
  RawTcpPeer huge(broker.endpoints().port());
  huge.handshake();
  huge.declare_frame(std::uint64_t{1} << 30);
  CHECK(huge.closed_within(200ms));
  check_still_serves(broker);
}

TEST_CASE("Idle peers and workers in long calls are not dropped by the broker's ZMTP heartbeats") {
  roc::Broker broker(impatient_broker());
  broker.start();
  Timed timed;
  roc::ServerOptions server_options;  // MDP heartbeats every 2.5 s: ZMTP alone must keep it
  roc::Server server(broker.endpoints(), server_options);
  server.publish("idle", timed, timed_binding());
  server.start();
  REQUIRE(roc::test::wait_until([&] { return broker.workers().count("idle") == 1; }));
  roc::Client client(broker.endpoints(), {5s});
  CHECK(client["idle"].call<std::int64_t>("sleep_ms", 1500) == 1500);  // > ping + timeout, twice
  bool registered = true;
  const auto until = Clock::now() + 1500ms;
  while (Clock::now() < until && registered) {
    registered = broker.workers().count("idle") == 1;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(registered);
  CHECK(client["idle"].call<std::int64_t>("tick") == 1);
}

TEST_CASE("Four peers declaring 1 GiB frames do not grow rocbroker; stalled ones give their memory back") {
  // ROC_EDGES_FULL=1 runs the issue's sizes (1 GiB declared, 256 MiB sent, per peer) for the report;
  // by default a quarter of them, which shows the same.
  const bool full = std::getenv("ROC_EDGES_FULL") != nullptr;
  const std::uint64_t declared = full ? std::uint64_t{1} << 30 : std::uint64_t{256} << 20;
  const std::uint64_t sent = full ? std::uint64_t{256} << 20 : std::uint64_t{64} << 20;
  const std::vector<std::string> short_timeouts{"--ping-ms", "500", "--connection-timeout-ms", "1000"};

  SUBCASE("with the default limit, each is cut off at its frame header") {
    BrokerProcess broker(ROC_BROKER, short_timeouts);
    const long before = rss_kib(broker.child.pid());
    std::vector<std::unique_ptr<RawTcpPeer>> peers;
    std::uint64_t taken = 0;
    for (int i = 0; i < 4; ++i) {
      peers.push_back(std::make_unique<RawTcpPeer>(broker.port));
      peers.back()->handshake();
      peers.back()->declare_frame(std::uint64_t{1} << 30);
      taken += peers.back()->send_zeros(sent);
    }
    const long during = rss_kib(broker.child.pid());
    for (auto& peer : peers) CHECK(peer->closed_within(2s));
    const long after = rss_kib(broker.child.pid());
    MESSAGE("rocbroker VmRSS (default 64 MiB limit), KiB: before ", before, ", during ", during, ", after ", after,
            "; bytes the kernel took from the 4 peers: ", taken);
    CHECK(during - before < 32 * 1024);
  }

  SUBCASE("with a limit above the frames, stalled peers are dropped after the timeout and memory returns") {
    // libzmq stops a peer's timeout only when a whole message arrives, and none does here: every
    // peer must have sent its bytes before its first PING times out. A sanitized broker reads
    // them several times slower, so it gets longer.
    const auto timeout = roc::test::sanitized ? 4000ms : 1000ms;
    BrokerProcess broker(ROC_BROKER, {"--max-message-mib", "2048", "--ping-ms", "500", "--connection-timeout-ms",
                                      std::to_string(timeout.count())});
    const long before = rss_kib(broker.child.pid());
    std::vector<std::unique_ptr<RawTcpPeer>> peers;
    for (int i = 0; i < 4; ++i) {
      peers.push_back(std::make_unique<RawTcpPeer>(broker.port));
      peers.back()->handshake();
      peers.back()->declare_frame(declared);
      CHECK(peers.back()->send_zeros(sent) == sent);
    }
    // What was sent is in the broker's buffers now (or on its way in from the kernel).
    long during = 0;
    roc::test::wait_until([&] { return (during = rss_kib(broker.child.pid())) - before > long(sent >> 10) * 7 / 2; }, 5s);
    for (auto& peer : peers) CHECK(peer->closed_within(timeout + 4s));
    long after = 0;
    const bool returned =
        roc::test::wait_until([&] { return (after = rss_kib(broker.child.pid())) - before < 32 * 1024; }, 3s);
    MESSAGE("rocbroker VmRSS (limit 2 GiB, ", 4, " stalled peers), KiB: before ", before, ", during ", during,
            ", after ", after);
    if (!roc::test::sanitized) {  // a sanitizer's allocator keeps freed memory in quarantine
      CHECK(returned);
      CHECK(during - before > long(sent >> 10) * 3);
    }
  }
}

// ---- a broker without roc's mmi.objects -------------------------------------------------------

TEST_CASE("roc list against a plain Majordomo broker says mmi.objects is not supported, exit code 6") {
  roc::test::MiniBroker broker({});
  auto result = roc::test::run({ROC_CLI, "--broker", host_port(broker.endpoint()), "list"}, 10s);
  CHECK(result.code == 6);
  CHECK(result.err.find("does not support mmi.objects (8/MMI 501)") != std::string::npos);
  CHECK(result.err.find(host_port(broker.endpoint())) != std::string::npos);
  CHECK(result.out.empty());

  roc::Client client(roc::Endpoints(host_port(broker.endpoint())), {2s});
  CHECK_THROWS_AS(client.objects(), roc::NotSupported);
  CHECK_THROWS_AS(client.exists("x"), roc::NotSupported);
}
