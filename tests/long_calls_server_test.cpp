// Long calls at the worker (idl/PROTOCOL.md §2.6), through real sockets: a roc::Server on
// loopback TCP and a ROUTER in this test playing the broker frame by frame. Progress events go
// out in order and before the reply, only when asked; a CANCEL reaches the running method within
// milliseconds and a queued request it names never runs; every request is still answered. The
// last cases go through roc's broker, with a raw client speaking the header frames.
#include "wire/mdp.hpp"
#include "support/raw_peers.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace mdp = roc::detail::mdp;
using Clock = std::chrono::steady_clock;

namespace {

/// A device with long calls: every method that takes a CallContext is progress and cancellable.
struct Stage {
  std::atomic<int> runs{0};           // calls of `steps` and `home` that started
  std::atomic<int> on_cancel_runs{0};
  std::atomic<bool> started{false};
  std::atomic<Clock::rep> cancel_seen{0};      // when wait_cancelled returned true
  std::atomic<Clock::rep> callback_seen{0};    // when the on_cancel callback ran

  /// Reports each step: fraction, message, and the step as data.
  int steps(int count, roc::CallContext& ctx) {
    ++runs;
    for (int i = 1; i <= count; ++i)
      ctx.progress(double(i) / count, "step " + std::to_string(i), roc::Json::parse("{\"i\":" + std::to_string(i) + "}"));
    return count;
  }
  /// Waits up to `ms` for a cancel, as a method waiting on hardware does.
  std::string home(int ms, roc::CallContext& ctx) {
    ++runs;
    ctx.on_cancel([this] {
      callback_seen = Clock::now().time_since_epoch().count();
      ++on_cancel_runs;
    });
    started = true;
    ctx.progress(0.0, "homing");
    if (ctx.wait_cancelled(std::chrono::milliseconds(ms))) {
      cancel_seen = Clock::now().time_since_epoch().count();
      ctx.throw_if_cancelled();
    }
    return "home";
  }
  /// Polls cancelled() between short steps, as a method driving hardware step by step does.
  int poll(int ms, const roc::CallContext& ctx) {
    started = true;
    const auto until = Clock::now() + std::chrono::milliseconds(ms);
    int polls = 0;
    while (Clock::now() < until) {
      ++polls;
      if (ctx.cancelled()) {
        cancel_seen = Clock::now().time_since_epoch().count();
        throw roc::Cancelled("cancelled: stopped after " + std::to_string(polls) + " polls");
      }
      std::this_thread::sleep_for(100us);
    }
    return polls;
  }
  /// Sends `count` events as fast as it can.
  int flood(int count, roc::CallContext& ctx) {
    for (int i = 0; i < count; ++i) ctx.progress(std::nullopt, "x");
    return count;
  }
  long long remaining_ms(const roc::CallContext& ctx) {
    auto left = ctx.remaining();
    return left ? left->count() : -1;
  }
  std::string state(roc::CallContext& ctx) {
    return std::string(ctx.object_id()) + (ctx.cancelled() ? " cancelled" : " running") +
           (ctx.wants_progress() ? " progress" : " quiet") + (&ctx == &roc::CallContext::current() ? " current" : "");
  }
  int sum(int a, roc::CallContext& ctx, int b) { return a + b + (ctx.cancelled() ? 1000 : 0); }
  int add(int a, int b) { return a + b; }
};

const roc::Binding<Stage>& stage_binding() {
  static const auto binding = roc::Binding<Stage>("lab::Stage")
                                  .method("steps", &Stage::steps, {"count"})
                                  .method("home", &Stage::home, {"ms"})
                                  .method("poll", &Stage::poll, {"ms"})
                                  .method("flood", &Stage::flood, {"count"})
                                  .method("remaining_ms", &Stage::remaining_ms)
                                  .method("state", &Stage::state)
                                  .method("sum", &Stage::sum, {"a", "b"})
                                  .method("add", &Stage::add, {"a", "b"});
  return binding;
}

std::string text(const zmq::message_t& frame) { return {static_cast<const char*>(frame.data()), frame.size()}; }

std::string request(std::uint64_t id, const std::string& method, const std::string& params) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":)" + params +
         "}";
}

/// A ROUTER playing roc's broker towards one worker: it takes the READY, answers heartbeats,
/// and sends requests and cancels the way the broker does.
class FakeBroker {
 public:
  FakeBroker() {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    const auto endpoint = router_.get(zmq::sockopt::last_endpoint);
    address_ = endpoint.substr(endpoint.find("//") + 2);
  }

  const std::string& address() const { return address_; }

  /// The next message from the worker other than a HEARTBEAT (each answered), or none in time.
  std::optional<mdp::WorkerMessage> next(std::chrono::milliseconds timeout = 5000ms) {
    const auto until = Clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      zmq::pollitem_t item{static_cast<void*>(router_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      mdp::Frames frames;
      (void)zmq::recv_multipart(router_, std::back_inserter(frames));
      auto decoded = mdp::decode_at_broker(frames);
      REQUIRE_MESSAGE(decoded, decoded.error);
      REQUIRE(decoded.message->worker);
      worker_.copy(decoded.message->sender);
      auto& message = *decoded.message->worker;
      if (message.command == mdp::Command::heartbeat) {
        mdp::send_command(router_, mdp::Command::heartbeat, &worker_);
        continue;
      }
      return std::move(message);
    }
  }

  /// Waits for the worker's READY.
  mdp::WorkerMessage ready() {
    auto message = next();
    REQUIRE(message);
    REQUIRE(message->command == mdp::Command::ready);
    return std::move(*message);
  }

  /// A REQUEST from `client` with a header naming the call (and asking for progress); call 0
  /// sends a header without a name, and `with_header` false none at all (a plain 7/MDP caller).
  void send(const std::string& client, std::uint64_t call, bool progress, const std::string& body,
            std::optional<std::chrono::milliseconds> timeout = 30000ms, bool with_header = true) {
    mdp::CallHeader header;
    header.call = call;
    header.progress = progress;
    header.timeout = timeout;
    auto frames = mdp::one_frame(zmq::message_t(body.data(), body.size()));
    zmq::message_t address(client.data(), client.size());
    REQUIRE(mdp::send_to_worker(router_, worker_, address, frames, with_header ? &header : nullptr));
  }

  void cancel(const std::string& client, std::uint64_t call) {
    zmq::message_t address(client.data(), client.size());
    REQUIRE(mdp::send_cancel(router_, worker_, address, call));
  }

  /// The next REPLY's body, skipping and counting PROGRESS of any call.
  std::string reply(std::chrono::milliseconds timeout = 5000ms) {
    while (true) {
      auto message = next(timeout);
      REQUIRE(message);
      if (message->command == mdp::Command::progress) continue;
      REQUIRE(message->command == mdp::Command::reply);
      return text(message->body.front());
    }
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  zmq::message_t worker_;
  std::string address_;
};

/// The fake broker with a roc::Server publishing a Stage as "stage" connected to it.
struct Rig {
  explicit Rig(std::uint32_t credit = 8) {
    auto options = roc::test::fast_server();
    options.heartbeat_interval = 1000ms;  // this broker answers each; less chatter in the frames
    options.credit = credit;
    server = std::make_unique<roc::Server>(roc::Endpoints(broker.address()), options);
    server->publish("stage", stage, stage_binding());
    server->start();
    ready = broker.ready();
  }
  ~Rig() { server->stop(); }

  FakeBroker broker;
  Stage stage;
  std::unique_ptr<roc::Server> server;
  mdp::WorkerMessage ready;
};

roc::Json parse(const std::string& body) {
  INFO(body);
  return roc::Json::parse(body);
}

int error_code_of(const std::string& body) {
  auto reply = parse(body);
  INFO(body);
  REQUIRE(reply.value().HasMember("error"));
  return reply.value()["error"]["code"].GetInt();
}

double ms_between(Clock::rep from, Clock::rep to) {
  return std::chrono::duration<double, std::milli>(Clock::duration(to - from)).count();
}

}  // namespace

TEST_CASE("a roc worker's READY says it takes cancels and may report progress") {
  Rig rig;
  CHECK(rig.ready.service == "stage");
  CHECK(rig.ready.credit_frame);
  CHECK(rig.ready.attachments);
  CHECK(rig.ready.cancel);
  CHECK(rig.ready.progress);
}

TEST_CASE("progress events go to the caller in order, named by its address and call, before the reply") {
  Rig rig;
  rig.broker.send("client-A", 17, true, request(17, "steps", "[5]"));
  for (int i = 1; i <= 5; ++i) {
    auto message = rig.broker.next();
    REQUIRE(message);
    REQUIRE(message->command == mdp::Command::progress);
    CHECK(text(message->client) == "client-A");
    CHECK(message->call == 17);
    REQUIRE(message->body.size() == 1);
    auto event = parse(text(message->body.front()));
    CHECK(event.value()["fraction"].GetDouble() == doctest::Approx(i / 5.0));
    CHECK(std::string(event.value()["message"].GetString()) == "step " + std::to_string(i));
    CHECK(event.value()["data"]["i"].GetInt() == i);
  }
  auto reply = rig.broker.next();
  REQUIRE(reply);
  CHECK(reply->command == mdp::Command::reply);
  CHECK(text(reply->client) == "client-A");
  CHECK(parse(text(reply->body.front())).value()["result"].GetInt() == 5);
}

TEST_CASE("a progress event leaves out the members the method did not give") {
  Rig rig;
  rig.broker.send("c", 3, true, request(3, "flood", "[1]"));
  auto message = rig.broker.next();
  REQUIRE(message);
  REQUIRE(message->command == mdp::Command::progress);
  CHECK(text(message->body.front()) == R"({"message":"x"})");
  CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 1);
}

TEST_CASE("a caller that did not ask for progress gets none, and the method sees that nobody looks") {
  Rig rig;
  SUBCASE("a named call without progress=1") {
    rig.broker.send("client-A", 4, false, request(4, "steps", "[50]"));
  }
  SUBCASE("a call header without a name") {
    rig.broker.send("client-A", 0, true, request(4, "steps", "[50]"));
  }
  SUBCASE("no call header at all (a plain 7/MDP caller)") {
    rig.broker.send("client-A", 0, false, request(4, "steps", "[50]"), std::nullopt, false);
  }
  auto message = rig.broker.next();
  REQUIRE(message);
  CHECK(message->command == mdp::Command::reply);
  CHECK(parse(text(message->body.front())).value()["result"].GetInt() == 50);
  rig.broker.send("client-A", 5, false, request(5, "state", "[]"));
  CHECK(parse(rig.broker.reply()).value()["result"] == "stage running quiet current");
  rig.broker.send("client-A", 6, true, request(6, "state", "[]"));
  CHECK(parse(rig.broker.reply()).value()["result"] == "stage running progress current");
}

TEST_CASE("a cancel of the running call reaches the method within milliseconds; it answers -32008") {
  Rig rig;
  SUBCASE("a method waiting in wait_cancelled, with an on_cancel callback") {
    rig.broker.send("client-A", 9, true, request(9, "home", "[10000]"));
    auto homing = rig.broker.next();  // the method's first event: it is running
    REQUIRE(homing);
    REQUIRE(homing->command == mdp::Command::progress);
    std::this_thread::sleep_for(20ms);  // past the keeper's take-over
    const auto sent = Clock::now();
    rig.broker.cancel("client-A", 9);
    rig.broker.cancel("client-A", 9);  // a second cancel runs no callback again
    auto reply = rig.broker.next();
    const auto answered = Clock::now();
    REQUIRE(reply);
    REQUIRE(reply->command == mdp::Command::reply);
    auto body = text(reply->body.front());
    CHECK(error_code_of(body) == roc::error_code::cancelled);
    CHECK(body.find("cancelled: the caller cancelled the call to 'stage'") != std::string::npos);
    CHECK(rig.stage.on_cancel_runs == 1);
    const double seen_ms = ms_between(sent.time_since_epoch().count(), rig.stage.cancel_seen);
    MESSAGE("cancel → wait_cancelled returned: " << seen_ms << " ms; → on_cancel: "
                                                 << ms_between(sent.time_since_epoch().count(), rig.stage.callback_seen)
                                                 << " ms; → reply at the broker: "
                                                 << std::chrono::duration<double, std::milli>(answered - sent).count()
                                                 << " ms");
    CHECK(seen_ms < 50.0 * roc::test::sanitizer_slowdown);
  }
  SUBCASE("a method polling cancelled() between steps") {
    rig.broker.send("client-A", 10, false, request(10, "poll", "[10000]"));
    REQUIRE(roc::test::wait_until([&] { return rig.stage.started.load(); }));
    std::this_thread::sleep_for(20ms);
    const auto sent = Clock::now();
    rig.broker.cancel("client-A", 10);
    auto body = rig.broker.reply();
    CHECK(error_code_of(body) == roc::error_code::cancelled);
    CHECK(body.find("stopped after") != std::string::npos);
    const double seen_ms = ms_between(sent.time_since_epoch().count(), rig.stage.cancel_seen);
    MESSAGE("cancel → cancelled() seen by a polling method: " << seen_ms << " ms");
    CHECK(seen_ms < 50.0 * roc::test::sanitizer_slowdown);
  }
}

TEST_CASE("cancel-to-method latency at the worker, over many calls") {
  Rig rig;
  std::vector<double> late, early;
  for (int i = 0; i < 20; ++i) {
    for (bool right_away : {false, true}) {
      const std::uint64_t call = 100 + i * 2 + (right_away ? 1 : 0);
      rig.stage.started = false;
      rig.broker.send("client-A", call, false, request(call, "home", "[10000]"));
      REQUIRE(roc::test::wait_until([&] { return rig.stage.started.load(); }));
      // Late: the call has run for a while (the keeper ticks every millisecond). Right away:
      // the keeper may not have taken the call over yet.
      if (!right_away) std::this_thread::sleep_for(20ms);
      const auto sent = Clock::now();
      rig.broker.cancel("client-A", call);
      CHECK(error_code_of(rig.broker.reply()) == roc::error_code::cancelled);
      (right_away ? early : late).push_back(ms_between(sent.time_since_epoch().count(), rig.stage.cancel_seen));
    }
  }
  for (auto* v : {&late, &early}) std::sort(v->begin(), v->end());
  MESSAGE("cancel → method, call running 20 ms: median " << late[late.size() / 2] << " ms, max " << late.back()
                                                          << " ms; cancel right after the start: median "
                                                          << early[early.size() / 2] << " ms, max " << early.back()
                                                          << " ms");
  CHECK(late[late.size() / 2] < 10.0 * roc::test::sanitizer_slowdown);
  CHECK(early.back() < 100.0 * roc::test::sanitizer_slowdown);
}

TEST_CASE("cancel-to-method latency right after a stream of short calls (the keeper has backed off)") {
  Rig rig(64);
  std::vector<double> seen;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 200; ++i) rig.broker.send("c", 1000 + i, false, request(1000 + i, "add", "[1,2]"));
    rig.stage.started = false;
    rig.broker.send("c", 1, false, request(1, "home", "[10000]"));
    for (int i = 0; i < 200; ++i) (void)rig.broker.reply();
    REQUIRE(roc::test::wait_until([&] { return rig.stage.started.load(); }));
    const auto sent = Clock::now();
    rig.broker.cancel("c", 1);
    CHECK(error_code_of(rig.broker.reply()) == roc::error_code::cancelled);
    seen.push_back(ms_between(sent.time_since_epoch().count(), rig.stage.cancel_seen));
  }
  std::sort(seen.begin(), seen.end());
  MESSAGE("cancel → method right after 200 short calls: median " << seen[seen.size() / 2] << " ms, max " << seen.back()
                                                                  << " ms");
  CHECK(seen.back() < 100.0 * roc::test::sanitizer_slowdown);
}

TEST_CASE("what naming a call and taking a context cost a call that reports nothing") {
  Rig rig(64);
  constexpr int calls = 20000;
  auto run = [&](const char* method, std::uint64_t name_from, bool with_header) {
    const auto start = Clock::now();
    int sent = 0, answered = 0;
    while (answered < calls) {
      // Pipelined, as a busy object sees them: up to its credit in flight.
      while (sent < calls && sent - answered < 64) {
        const std::uint64_t id = name_from == 0 ? 0 : name_from + sent;
        rig.broker.send("c", id, false, request(sent + 1, method, "[1,2]"), 30000ms, with_header);
        ++sent;
      }
      (void)rig.broker.reply();
      ++answered;
    }
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / calls;
  };
  run("add", 1, true);  // warm up
  const double plain = run("add", 0, false), named = run("add", 1, true), context = run("sum", 1, true);
  MESSAGE("per call, pipelined: no header " << plain << " us; header with call=N " << named
                                           << " us; a method taking a CallContext " << context << " us");
  CHECK(context < named * 2);
}

TEST_CASE("a cancelled request queued at the worker never runs and is answered -32008 in its turn") {
  Rig rig(8);
  rig.broker.send("client-A", 1, false, request(1, "home", "[300]"));
  REQUIRE(roc::test::wait_until([&] { return rig.stage.started.load(); }));
  std::this_thread::sleep_for(20ms);  // the keeper takes what arrives from now on
  rig.broker.send("client-B", 2, false, request(2, "steps", "[3]"));
  rig.broker.send("client-A", 3, false, request(3, "steps", "[4]"));
  rig.broker.cancel("client-B", 2);
  // The first call runs to its end: the cancel named another call.
  auto first = parse(rig.broker.reply());
  CHECK(first.value()["result"] == "home");
  auto second = rig.broker.reply();
  CHECK(error_code_of(second) == roc::error_code::cancelled);
  CHECK(parse(second).value()["id"].GetInt() == 2);
  CHECK(second.find("before it ran") != std::string::npos);
  CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 4);
  CHECK(rig.stage.runs == 2);  // home and the last steps; never the cancelled one
  CHECK(rig.stage.on_cancel_runs == 0);
}

TEST_CASE("a cancel naming no call of this worker changes nothing") {
  Rig rig;
  SUBCASE("while idle") {
    rig.broker.cancel("client-A", 77);
    rig.broker.send("client-A", 77, false, request(77, "sum", "[1,2]"));
    CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 3);
  }
  SUBCASE("while a call runs: another call number, or the same number from another client") {
    rig.broker.send("client-A", 5, false, request(5, "home", "[200]"));
    REQUIRE(roc::test::wait_until([&] { return rig.stage.started.load(); }));
    std::this_thread::sleep_for(20ms);
    rig.broker.cancel("client-A", 6);
    rig.broker.cancel("client-B", 5);
    CHECK(parse(rig.broker.reply()).value()["result"] == "home");
    CHECK(rig.stage.on_cancel_runs == 0);
  }
  SUBCASE("after the call was answered") {
    rig.broker.send("client-A", 8, false, request(8, "sum", "[1,2]"));
    CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 3);
    rig.broker.cancel("client-A", 8);
    rig.broker.send("client-A", 9, false, request(9, "sum", "[2,2]"));
    CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 4);
  }
}

TEST_CASE("the running method reads the caller's deadline") {
  Rig rig;
  rig.broker.send("client-A", 1, false, request(1, "remaining_ms", "[]"), 5000ms);
  const auto left = parse(rig.broker.reply()).value()["result"].GetInt64();
  CHECK(left > 4000);
  CHECK(left <= 5000);
  rig.broker.send("client-A", 2, false, request(2, "remaining_ms", "[]"), std::nullopt);
  CHECK(parse(rig.broker.reply()).value()["result"].GetInt64() == -1);
}

TEST_CASE("a method with a context parameter is called as if the parameter were not there") {
  Rig rig;
  rig.broker.send("c", 1, false, request(1, "sum", "[40,2]"));
  CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 42);
  rig.broker.send("c", 2, false, request(2, "sum", R"({"b":2,"a":40})"));
  CHECK(parse(rig.broker.reply()).value()["result"].GetInt() == 42);
  rig.broker.send("c", 3, false, request(3, "sum", "[40,2,1]"));
  CHECK(error_code_of(rig.broker.reply()) == roc::error_code::invalid_params);
}

TEST_CASE("progress events a worker can send per second") {
  Rig rig;
  constexpr int count = 100000;
  const auto start = Clock::now();
  rig.broker.send("c", 1, true, request(1, "flood", "[" + std::to_string(count) + "]"));
  int received = 0;
  while (true) {
    auto message = rig.broker.next();
    REQUIRE(message);
    if (message->command == mdp::Command::reply) break;
    ++received;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  MESSAGE(count << " events reported in " << seconds * 1000 << " ms (" << count / seconds << " /s); " << received
                << " reached the broker (" << received / seconds
                << " /s): a full socket drops events rather than slow the method");
  CHECK(received > 0);
  CHECK(received <= count);
}

// ---- through roc's broker ----------------------------------------------------------------------

namespace {

/// roc::Broker in this process, a Server publishing a Stage as "stage", and a raw client.
struct BrokerRig {
  BrokerRig() : broker(options()) {
    broker.start();
    auto server_options = roc::test::fast_server();
    server = std::make_unique<roc::Server>(broker.endpoints(), server_options);
    server->publish("stage", stage, stage_binding());
    server->start();
    client = std::make_unique<roc::test::MdpPeer>(context, broker.endpoints().calls());
    roc::Client probe(broker.endpoints());
    REQUIRE(roc::test::wait_until([&] { return probe.exists("stage"); }));
  }
  ~BrokerRig() {
    client.reset();
    server->stop();
    broker.stop();
  }
  static roc::BrokerOptions options() {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:0";
    o.heartbeat_interval = 100ms;
    return o;
  }
  void call(std::uint64_t id, const std::string& method, const std::string& params, bool progress) {
    client->send({"", "MDPC01", "stage",
                  "roc/1 timeout-ms=10000 call=" + std::to_string(id) + (progress ? " progress=1" : ""),
                  request(id, method, params)});
  }
  void cancel(std::uint64_t id) { client->send({"", "MDPC01", "stage", "roc/1 cancel=" + std::to_string(id)}); }
  /// The next message's body frames after the object id: [header,] body.
  std::vector<std::string> next() {
    auto frames = client->recv(5000ms);
    REQUIRE(frames);
    std::vector<std::string> out;
    for (std::size_t i = 3; i < frames->size(); ++i) out.push_back(text((*frames)[i]));
    return out;
  }

  zmq::context_t context{1};
  roc::Broker broker;
  Stage stage;
  std::unique_ptr<roc::Server> server;
  std::unique_ptr<roc::test::MdpPeer> client;
};

}  // namespace

TEST_CASE("through roc's broker: progress reaches the caller, and a cancel stops the running method") {
  BrokerRig rig;
  rig.call(1, "home", "[10000]", true);
  auto event = rig.next();
  REQUIRE(event.size() == 2);
  CHECK(event[0] == "roc/1 call=1 event=progress");
  CHECK(event[1] == R"({"fraction":0.0,"message":"homing"})");
  std::this_thread::sleep_for(20ms);
  const auto sent = Clock::now();
  rig.cancel(1);
  auto reply = rig.next();
  const double answered_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
  REQUIRE(reply.size() == 1);
  CHECK(error_code_of(reply[0]) == roc::error_code::cancelled);
  REQUIRE(roc::test::wait_until([&] { return rig.stage.on_cancel_runs.load() == 1; }));
  REQUIRE(roc::test::wait_until([&] { return rig.stage.cancel_seen.load() != 0; }));
  MESSAGE("through the broker: cancel → -32008 at the caller " << answered_ms << " ms; → method "
                                                                << ms_between(sent.time_since_epoch().count(),
                                                                              rig.stage.cancel_seen)
                                                                << " ms");
  // The worker's late reply returned the credit: the next call runs at once, and nothing else
  // of the cancelled call reaches the caller.
  rig.call(2, "sum", "[1,2]", false);
  auto next = rig.next();
  REQUIRE(next.size() == 1);
  CHECK(parse(next[0]).value()["result"].GetInt() == 3);
  CHECK_FALSE(rig.client->recv(100ms));
}

TEST_CASE("through roc's broker: a call cancelled while queued at the worker never runs") {
  BrokerRig rig;  // credit 64: the broker hands the second call to the busy worker at once
  rig.call(1, "home", "[300]", false);
  REQUIRE(roc::test::wait_until([&] { return rig.stage.started.load(); }));
  std::this_thread::sleep_for(20ms);
  rig.call(2, "steps", "[3]", false);
  std::this_thread::sleep_for(20ms);  // at the worker by now
  rig.cancel(2);
  auto cancelled = rig.next();
  REQUIRE(cancelled.size() == 1);
  CHECK(error_code_of(cancelled[0]) == roc::error_code::cancelled);
  auto first = rig.next();
  REQUIRE(first.size() == 1);
  CHECK(parse(first[0]).value()["result"] == "home");
  rig.call(3, "sum", "[1,2]", false);
  auto third = rig.next();
  REQUIRE(third.size() == 1);
  CHECK(parse(third[0]).value()["result"].GetInt() == 3);
  CHECK(rig.stage.runs == 1);  // home only
}
