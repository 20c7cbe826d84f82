// Every hostile input of issue 8 at once, against rocbroker and two object servers running as
// child processes, while an honest client keeps calling a third party's object: the processes
// survive, the honest client sees no error, and the broker's memory comes back afterwards.
#include "support/raw_peers.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/client.hpp>
#include <roc/error.hpp>
#include <roc/json_reader.hpp>
#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using roc::test::MdpPeer;
using roc::test::RawTcpPeer;

namespace {

std::string request(const std::string& id, const std::string& method, const std::string& params = "[]") {
  return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + R"(","params":)" + params + "}";
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A reply body that is strict JSON and a JSON-RPC 2.0 error.
bool is_error_reply(const std::string& body) {
  rapidjson::Document doc;
  if (roc::json::read(doc, body) || !doc.IsObject()) return false;
  auto version = doc.FindMember("jsonrpc");
  return version != doc.MemberEnd() && version->value == "2.0" && doc.HasMember("id") && doc.HasMember("error") &&
         doc["error"].IsObject() && doc["error"]["code"].IsInt();
}

int error_code_of(const std::string& body) {
  rapidjson::Document doc;
  if (roc::json::read(doc, body) || !doc.IsObject() || !doc.HasMember("error")) return 0;
  return doc["error"]["code"].GetInt();
}

// Runs the attacks on threads of their own; whatever an attack finds wrong is kept as text and
// checked on the test's thread (doctest's assertions are not for other threads).
class Attacks {
 public:
  void run(const std::string& name, std::function<void(std::vector<std::string>&)> attack) {
    threads_.emplace_back([this, name, attack = std::move(attack)] {
      std::vector<std::string> problems;
      try {
        attack(problems);
      } catch (const std::exception& e) {
        problems.push_back(std::string("threw: ") + e.what());
      } catch (...) {  // a failed REQUIRE inside a helper: doctest has reported it already
        problems.push_back("an assertion failed");
      }
      std::lock_guard lock(mutex_);
      for (auto& p : problems) problems_.push_back(name + ": " + p);
    });
  }
  std::vector<std::string> join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
    return problems_;
  }

 private:
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<std::string> problems_;
};

}  // namespace

TEST_CASE("The broker and a server survive every hostile input at once while an honest client calls on") {
  roc::test::BrokerProcess broker(ROC_BROKER_PROGRAM, {"--heartbeat-ms", "500", "--handshake-ms", "1000",
                                                       "--ping-ms", "300", "--connection-timeout-ms", "1000"});
  const auto server_program = roc::test::executable_dir() + "/roc_test_object_server";
  // Heartbeats patient enough for two loaded cores (and sanitizers): a drop would be a false alarm.
  roc::test::Child victim_server({server_program, broker.address(), "victim", "victim", "500"});
  roc::test::Child slow_server({server_program, broker.address(), "slow", "slow", "500"});
  const roc::Endpoints endpoints{broker.address()};

  roc::Client honest(endpoints, {5s});
  REQUIRE(roc::test::wait_until(
      [&] {
        try {
          return honest["victim"].call<std::string>("rpc.ping") == "pong" &&
                 honest["slow"].call<std::string>("rpc.ping") == "pong";
        } catch (const roc::Error&) {
          return false;
        }
      },
      10s));
  const long rss_before = roc::test::rss_kib(broker.child.pid());

  // The honest client: calls the victim until the attacks are over; every failure is a defect.
  std::atomic<bool> attacking{true};
  std::atomic<long> honest_calls{0};
  std::vector<std::string> honest_errors;
  std::thread honest_caller([&] {
    for (std::int64_t i = 0; attacking; ++i) {
      try {
        if (honest["victim"].call<std::int64_t>("add", i, 1) != i + 1) honest_errors.push_back("wrong sum");
        ++honest_calls;
      } catch (const std::exception& e) {
        honest_errors.push_back(e.what());
      }
    }
  });
  std::atomic<long> rss_peak{rss_before};
  std::thread sampler([&] {
    while (attacking) {
      rss_peak = std::max(rss_peak.load(), roc::test::rss_kib(broker.child.pid()));
      std::this_thread::sleep_for(50ms);
    }
  });

  Attacks attacks;
  // 200k calls to a slow object from a client that never waits for them, then goes away.
  attacks.run("flood", [&](auto& problems) {
    zmq::context_t context;
    MdpPeer flooder(context, endpoints.calls());
    const auto body = request("1", "sleep_ms", "[20]");
    for (int i = 0; i < 200'000; ++i) flooder.call("slow", body);
    int busy = 0;
    while (auto reply = flooder.reply(500ms))
      if (error_code_of(*reply) == roc::error_code::object_busy) ++busy;
    if (busy == 0) problems.push_back("no call of the flood was refused as busy");
    flooder.close();
  });
  // Bodies nested a million levels deep, ids that read as infinity, bodies that are not JSON.
  attacks.run("json", [&](auto& problems) {
    zmq::context_t context;
    MdpPeer peer(context, endpoints.calls());
    const auto deep = nested(1'000'000);
    peer.call("victim", deep);
    peer.call("nobody", deep);
    peer.call("victim", request("100000000000000000000e300", "rpc.ping"));
    peer.call("nobody", "\xff\xfe not json");
    for (int i = 0; i < 4; ++i) {
      auto reply = peer.reply(10s);
      if (!reply)
        problems.push_back("no reply to a hostile body within 10 s");
      else if (!is_error_reply(*reply))
        problems.push_back("a reply that is not a strict JSON-RPC error: " + reply->substr(0, 200));
    }
  });
  // Status updates and log records nested 100k levels deep, and garbage, on the publish port.
  attacks.run("pubsub", [&](auto&) {
    zmq::context_t context;
    zmq::socket_t pub(context, zmq::socket_type::pub);
    pub.set(zmq::sockopt::linger, 0);
    pub.connect(endpoints.publish());
    std::this_thread::sleep_for(200ms);  // let the connection come up: PUB drops while it has none
    const auto deep = nested(100'000);
    for (int i = 0; i < 20; ++i) {
      for (const std::string topic : {"status.siege", "log.info.siege", "status", "\xff"}) {
        pub.send(zmq::buffer(topic), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(deep), zmq::send_flags::none);
      }
      pub.send(zmq::str_buffer("status.siege.x"), zmq::send_flags::none);  // no body at all
    }
  });
  // Raw TCP peers: huge frames, frames that stall halfway, handshakes never made, garbage.
  attacks.run("tcp", [&](auto& problems) {
    std::vector<std::unique_ptr<RawTcpPeer>> huge, stalled, silent;
    for (int i = 0; i < 4; ++i) {
      huge.push_back(std::make_unique<RawTcpPeer>(broker.port));
      huge.back()->handshake();
      huge.back()->declare_frame(std::uint64_t{1} << 30);
      stalled.push_back(std::make_unique<RawTcpPeer>(broker.port));
      stalled.back()->handshake();
      stalled.back()->declare_frame(std::uint64_t{32} << 20);
      stalled.back()->send_zeros(std::uint64_t{16} << 20);
    }
    for (unsigned port : {broker.port, broker.port + 1, broker.port + 2}) {
      for (int i = 0; i < 4; ++i) silent.push_back(std::make_unique<RawTcpPeer>(port));
      RawTcpPeer garbage(port);
      garbage.send_raw("GET / HTTP/1.1\r\nHost: roc\r\n\r\n");
      if (!garbage.closed_within(5s)) problems.push_back("garbage was not refused on port " + std::to_string(port));
    }
    for (auto& peer : huge)
      if (!peer->closed_within(2s)) problems.push_back("a 1 GiB frame was not cut off");
    for (auto& peer : stalled)
      if (!peer->closed_within(8s)) problems.push_back("a stalled frame was not dropped");
    for (auto& peer : silent)
      if (!peer->closed_within(8s)) problems.push_back("a connection without a handshake was not dropped");
  });
  // Workers that break the rules, and one that takes calls and never answers, then vanishes.
  attacks.run("workers", [&](auto& problems) {
    zmq::context_t context;
    MdpPeer liar(context, endpoints.calls());
    liar.send({"", "MDPW01", "\x01", "mmi.evil"});
    liar.send({"", "MDPW01", "\x01", std::string(300, 'x')});
    liar.send({"", "MDPW01", "\x03", "client", "", "{}"});
    liar.send({"", "MDPW01", "\x07"});
    MdpPeer sink_worker(context, endpoints.calls());
    sink_worker.send({"", "MDPW01", "\x01", "sink", "1048576"});
    MdpPeer sink_caller(context, endpoints.calls());
    for (int i = 0; i < 5000; ++i) sink_caller.call("sink", request(std::to_string(i), "x"), 60s);
    std::this_thread::sleep_for(500ms);
    sink_worker.close();  // holding calls: their callers must hear -32002, not wait out 60 s
    int gone = 0;
    while (auto reply = sink_caller.reply(3s))
      if (error_code_of(*reply) == roc::error_code::object_gone || error_code_of(*reply) == roc::error_code::object_not_found) ++gone;
    if (gone == 0) problems.push_back("the callers of a vanished worker heard nothing");
  });

  const auto problems = attacks.join();
  attacking = false;
  honest_caller.join();
  sampler.join();
  for (const auto& p : problems) FAIL_CHECK(p);

  CHECK_FALSE(broker.child.wait(0ms).has_value());
  CHECK_FALSE(victim_server.wait(0ms).has_value());
  CHECK_FALSE(slow_server.wait(0ms).has_value());
  CHECK(honest_errors.empty());
  for (const auto& e : honest_errors) MESSAGE("honest call failed: ", e);
  CHECK(honest_calls > 20);
  CHECK(honest["victim"].call<std::int64_t>("add", 2, 2) == 4);
  CHECK(honest["slow"].call<std::int64_t>("add", 2, 2) == 4);

  long rss_after = 0;
  const bool returned = roc::test::wait_until(
      [&] { return (rss_after = roc::test::rss_kib(broker.child.pid())) - rss_before < 48 * 1024; }, 10s);
  MESSAGE("rocbroker VmRSS, KiB: before ", rss_before, ", peak during the siege ", rss_peak.load(), ", after ",
          rss_after, "; honest calls during the siege: ", honest_calls.load());
  if (!roc::test::sanitized) {
    CHECK(returned);
    CHECK(rss_peak - rss_before < 256 * 1024);
  }
}
