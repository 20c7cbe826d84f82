// Long calls end to end (idl/PROTOCOL.md §2.6): roc::Client and roc::Server through a real
// roc::Broker on tcp — progress in order before the result, cancellation of queued, running and
// orphaned calls, a cancel racing the reply, a timed-out call cancelled remotely, deadlines seen
// by the method, and plain 7/MDP peers that know none of it.
#include "support/raw_peers.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using roc::test::fast_server;
using roc::test::MdpPeer;
using roc::test::sanitizer_slowdown;

namespace {

// A device with long operations. Only its own counters are shared with the tests.
struct Stage {
  std::atomic<int> started{0}, finished{0}, stopped{0}, cancel_callbacks{0};
  std::atomic<std::int64_t> cancel_seen_ns{0};  // steady_clock, when a move saw its cancel

  // Moves in `steps` steps of `step_ms`, reporting progress after each; stops on a cancel.
  int move(int steps, int step_ms, roc::CallContext& ctx) {
    ++started;
    ctx.on_cancel([this] { ++cancel_callbacks; });
    for (int i = 0; i < steps; ++i) {
      if (ctx.wait_cancelled(std::chrono::milliseconds(step_ms))) {
        cancel_seen_ns = Clock::now().time_since_epoch().count();
        ++stopped;
        throw roc::Cancelled("cancelled: the stage stopped at step " + std::to_string(i));
      }
      ctx.progress(double(i + 1) / steps, "step " + std::to_string(i + 1), roc::Json::parse(std::to_string(i)));
    }
    ++finished;
    return steps;
  }
  // The time the caller still waits, as the method sees it; -1 without a deadline.
  std::int64_t remaining_ms(const roc::CallContext& ctx) const {
    const auto left = ctx.remaining();
    return left ? left->count() : -1;
  }
  int count() { return started.load(); }
};

const roc::Binding<Stage>& stage_binding() {
  static const auto binding = roc::Binding<Stage>("lab::Stage", "A stage with long moves.")
                                  .method("move", &Stage::move, {"steps", "step_ms"})
                                  .method("remaining_ms", &Stage::remaining_ms)
                                  .method("count", &Stage::count);
  return binding;
}

roc::BrokerOptions local_broker() {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = 100ms;
  return options;
}

// A broker, a published Stage and a client, all in this process over tcp.
struct Lab {
  explicit Lab(roc::ClientOptions client_options = {}) : broker(local_broker()) {
    broker.start();
    server.emplace(broker.endpoints(), fast_server());
    server->publish("stage", stage, stage_binding());
    server->start();
    client.emplace(broker.endpoints(), client_options);
    REQUIRE(roc::test::wait_until([&] { return client->exists("stage"); }));
  }
  ~Lab() {
    client.reset();
    server.reset();
    broker.stop();
  }
  roc::ObjectHandle handle() const { return (*client)["stage"]; }

  roc::Broker broker;
  Stage stage;
  std::optional<roc::Server> server;
  std::optional<roc::Client> client;
};

}  // namespace

TEST_CASE("Progress events reach the callback and the stream in order, before the result") {
  Lab lab;
  std::mutex mutex;
  std::vector<double> seen;
  roc::CallOptions options;
  options.on_progress = [&](const roc::Progress& p) {
    std::lock_guard<std::mutex> lock(mutex);
    REQUIRE(p.fraction);
    seen.push_back(*p.fraction);
  };
  options.progress = true;
  auto call = lab.handle().start<int>("move", options, 5, 2);
  std::vector<roc::Progress> streamed;
  while (auto p = call.next_progress(2s)) streamed.push_back(*p);
  CHECK(call.get() == 5);
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(seen == std::vector<double>{0.2, 0.4, 0.6, 0.8, 1.0});
  REQUIRE(streamed.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(streamed[i].message == "step " + std::to_string(i + 1));
    CHECK(streamed[i].data.as<int>() == i);
  }
}

TEST_CASE("A call that does not ask for progress gets none") {
  Lab lab;
  auto call = lab.handle().start<int>("move", roc::CallOptions{}, 3, 1);
  CHECK(call.get() == 3);
  CHECK_FALSE(call.next_progress(50ms));
  CHECK(lab.handle().call<int>("move", 3, 1) == 3);  // sync calls are untouched
  CHECK(lab.broker.stats().progress == 0);
}

TEST_CASE("A cancelled running call: the method sees it within a step and the caller gets -32008 at once") {
  Lab lab;
  auto call = lab.handle().with_timeout(30s).start<int>("move", roc::CallOptions{}, 1000, 10);
  REQUIRE(roc::test::wait_until([&] { return lab.stage.started == 1; }));
  std::this_thread::sleep_for(50ms);
  const auto cancelled_at = Clock::now();
  call.cancel();
  CHECK_THROWS_AS(call.get(), roc::Cancelled);
  const auto answered_in = Clock::now() - cancelled_at;
  CHECK(answered_in < 100ms * sanitizer_slowdown);
  REQUIRE(roc::test::wait_until([&] { return lab.stage.stopped == 1; }));
  const auto seen_after = std::chrono::nanoseconds(lab.stage.cancel_seen_ns.load()) -
                          cancelled_at.time_since_epoch();
  MESSAGE("cancel → method: " << std::chrono::duration<double, std::micro>(seen_after).count() << " us");
  CHECK(seen_after < 50ms * sanitizer_slowdown);  // wait_cancelled wakes at once, not at the step's end
  CHECK(lab.stage.cancel_callbacks == 1);
  CHECK(lab.stage.finished == 0);
  CHECK(lab.handle().call<int>("move", 1, 1) == 1);  // the object serves again
}

TEST_CASE("A cancelled queued call never runs, even while the object's only worker is busy") {
  Lab lab;
  auto first = lab.handle().with_timeout(30s).start<int>("move", roc::CallOptions{}, 1000, 10);
  REQUIRE(roc::test::wait_until([&] { return lab.stage.started == 1; }));
  auto second = lab.handle().with_timeout(30s).start<int>("move", roc::CallOptions{}, 1, 1);
  std::this_thread::sleep_for(50ms);  // queued behind the first, at the broker or the worker
  second.cancel();
  CHECK_THROWS_AS(second.get(), roc::Cancelled);
  first.cancel();
  CHECK_THROWS_AS(first.get(), roc::Cancelled);
  CHECK(lab.handle().call<int>("count") == 1);  // the second move never started
}

TEST_CASE("Cancelling a call whose worker hangs answers at once; the worker's death costs nothing more") {
  roc::Broker broker(local_broker());
  broker.start();
  zmq::context_t context;
  MdpPeer worker(context, broker.endpoints().calls());
  worker.send({"", "MDPW01", "\x01", "stuck", "1", "attachments cancel progress"});
  roc::Client client(broker.endpoints());
  REQUIRE(roc::test::wait_until([&] { return client.exists("stuck"); }));
  auto call = client["stuck"].with_timeout(30s).start<int>("move", roc::CallOptions{}, 1, 1);
  REQUIRE(worker.recv(2s));  // the REQUEST; the worker never answers, and stops heartbeating
  const auto t0 = Clock::now();
  call.cancel();
  CHECK_THROWS_AS(call.get(), roc::Cancelled);
  CHECK(Clock::now() - t0 < 200ms * sanitizer_slowdown);
  worker.close();
  CHECK(roc::test::wait_until([&] { return !client.exists("stuck"); }));
  CHECK(broker.stats().gone == 0);  // no -32002 for a call its caller has cancelled
}

TEST_CASE("A cancel racing the reply has exactly one outcome, and the worker's credit comes back once") {
  Lab lab;
  // The started calls go out on the I/O thread's own connection, which Lab's exists() (a sync call
  // on another) did not wait for. Until it is up a call waits unsent, and a cancel then ends it
  // locally with no word to the broker, which this test's count of the broker's cancels would miss.
  REQUIRE(lab.handle().call_async<int>("move", 1, 0).get() == 1);
  int results = 0, cancels = 0;
  constexpr int rounds = 200;
  for (int i = 0; i < rounds; ++i) {
    auto call = lab.handle().start<int>("move", roc::CallOptions{}, 1, 0);
    if (i % 4 != 0) std::this_thread::sleep_for(std::chrono::microseconds(50 * (i % 8)));
    call.cancel();
    try {
      const int result = call.get();
      CHECK(result == 1);
      ++results;
    } catch (const roc::Cancelled&) {
      ++cancels;
    }
  }
  MESSAGE(results << " results, " << cancels << " cancelled");
  CHECK(results + cancels == rounds);
  // Every credit is back: calls in flight up to the worker's credit all run.
  std::vector<std::future<int>> more;
  for (int i = 0; i < 32; ++i) more.push_back(lab.handle().call_async<int>("move", 1, 0));
  for (auto& f : more) CHECK(f.get() == 1);
  const auto stats = lab.broker.stats();
  CHECK(stats.cancelled == static_cast<std::uint64_t>(cancels));
}

TEST_CASE("A sync call that times out is cancelled remotely, so the next call does not wait behind it") {
  Lab lab;
  CHECK_THROWS_AS(lab.handle().with_timeout(200ms).call<int>("move", 1000, 10), roc::TimeoutError);
  REQUIRE(roc::test::wait_until([&] { return lab.stage.stopped == 1; }, 2s));
  const auto t0 = Clock::now();
  CHECK(lab.handle().call<int>("move", 1, 1) == 1);
  CHECK(Clock::now() - t0 < 500ms * sanitizer_slowdown);
  CHECK(lab.stage.finished == 1);
}

TEST_CASE("A method reads the caller's deadline from the context it takes") {
  Lab lab;
  const auto left = lab.handle().with_timeout(1500ms).call<std::int64_t>("remaining_ms");
  CHECK(left > 1000);
  CHECK(left <= 1500);
}

TEST_CASE("Plain 7/MDP peers are unaffected: a plain client calls a method that takes a context") {
  Lab lab;
  zmq::context_t context;
  MdpPeer plain(context, lab.broker.endpoints().calls());
  plain.call("stage", R"({"jsonrpc":"2.0","id":1,"method":"move","params":[2,1]})");
  auto reply = plain.reply(5s, std::string("stage"));
  REQUIRE(reply);
  CHECK(*reply == R"({"jsonrpc":"2.0","id":1,"result":2})");
  plain.call("stage", R"({"jsonrpc":"2.0","id":2,"method":"remaining_ms"})");
  reply = plain.reply(5s, std::string("stage"));
  REQUIRE(reply);
  CHECK(*reply == R"({"jsonrpc":"2.0","id":2,"result":-1})");
}

TEST_CASE("Plain 7/MDP peers are unaffected: a call asking for progress to a plain worker just gets its result") {
  roc::Broker broker(local_broker());
  broker.start();
  zmq::context_t context;
  MdpPeer worker(context, broker.endpoints().calls());
  worker.send({"", "MDPW01", "\x01", "plain"});
  roc::Client client(broker.endpoints());
  REQUIRE(roc::test::wait_until([&] { return client.exists("plain"); }));
  roc::CallOptions options;
  options.progress = true;
  auto call = client["plain"].start<int>("answer", options);
  auto request = worker.recv(2s);
  REQUIRE(request);
  REQUIRE(request->size() == 6);  // "", MDPW01, REQUEST, client, "", body: no header
  const std::string body = request->back().to_string();
  CHECK(body.rfind("{", 0) == 0);
  rapidjson::Document d;
  d.Parse(body.c_str());
  const auto id = d["id"].GetInt64();
  worker.send({"", "MDPW01", "\x03", (*request)[3].to_string(), "",
               R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":42})"});
  CHECK(call.get() == 42);
  CHECK_FALSE(call.next_progress(20ms));
}
