// Long calls from the client's side (idl/PROTOCOL.md §2.6): every call named by its id, progress
// events routed to their call, cancels on the connection the call used, timed-out calls
// cancelled, and `roc call`'s progress lines and Ctrl-C. A bare ROUTER plays the broker, so each
// frame the client sends is seen as it is.
#include "client/client_core.hpp"
#include "roc_output.hpp"
#include "wire/mdp.hpp"
#include "support/process.hpp"
#include "support/raw_peers.hpp"
#include "support/temp_dir.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace mdp = roc::detail::mdp;

/// A request or a cancel as the broker would read it.
struct Inbound {
  std::string connection;  // the client's routing identity
  std::string service;
  std::string header_text;  // the call header frame as sent; empty when there was none
  mdp::CallHeader header;
  std::string body;  // empty for a cancel
  std::int64_t id() const {
    roc::Json j = roc::Json::parse(body);
    return j.value()["id"].GetInt64();
  }
};

/// A ROUTER on a free port that plays the broker frame by frame.
class FakeBroker {
 public:
  FakeBroker() {
    router_.set(zmq::sockopt::linger, 0);
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.bind("tcp://127.0.0.1:*");
    const auto endpoint = router_.get(zmq::sockopt::last_endpoint);
    address_ = endpoint.substr(endpoint.find("//") + 2);
  }

  /// "127.0.0.1:port", for roc::Endpoints and `roc --broker`.
  const std::string& address() const { return address_; }
  roc::Endpoints endpoints() const {
    roc::Endpoints e(address_);
    e.set_credentials(roc::Credentials{});
    return e;
  }

  /// The next client message, or nothing within `wait`.
  std::optional<Inbound> next(std::chrono::milliseconds wait = 5000ms) {
    zmq::pollitem_t item{static_cast<void*>(router_), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) <= 0) return std::nullopt;
    mdp::Frames frames;
    REQUIRE(zmq::recv_multipart(router_, std::back_inserter(frames)));
    Inbound in;
    if (frames.size() > 4 && mdp::is_call_header(frames[4].to_string_view()))
      in.header_text = frames[4].to_string();
    auto decoded = mdp::decode_at_broker(frames);
    REQUIRE_MESSAGE(decoded, decoded.error);
    REQUIRE(decoded.message->client);
    auto& c = *decoded.message->client;
    in.connection = decoded.message->sender.to_string();
    in.service = c.service;
    if (c.header) in.header = *c.header;
    if (!c.body.empty()) in.body = c.body.front().to_string();
    return in;
  }

  void reply(const Inbound& to, const std::string& body) { send(to.connection, {to.service, body}); }
  void result(const Inbound& to, const std::string& result_json) {
    reply(to, R"({"jsonrpc":"2.0","id":)" + std::to_string(to.id()) + R"(,"result":)" + result_json + "}");
  }
  void cancelled(const Inbound& to, std::uint64_t id) {
    reply(to, R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                  R"(,"error":{"code":-32008,"message":"cancelled: the call was cancelled"}})");
  }
  /// An event as the broker forwards it: `roc/1 call=N event=KIND`, then the body.
  void event(const Inbound& to, std::uint64_t call, const std::string& body, const std::string& kind = "progress") {
    send(to.connection, {to.service, "roc/1 call=" + std::to_string(call) + " event=" + kind, body});
  }

 private:
  void send(const std::string& connection, std::vector<std::string> parts) {
    parts.insert(parts.begin(), {connection, "", std::string(mdp::client_protocol)});
    for (std::size_t i = 0; i < parts.size(); ++i)
      router_.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }

  zmq::context_t context_{1};
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string address_;
};

std::string progress_body(int i) {
  return R"({"fraction":)" + std::to_string(i / 10.0) + R"(,"message":"step )" + std::to_string(i) +
         R"(","data":{"i":)" + std::to_string(i) + "}}";
}

}  // namespace

TEST_CASE("Every call's header names it by its JSON-RPC id, and asks for progress only when told") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  auto object = client["obj"];

  std::thread sync([&] { CHECK(object.call<int>("f") == 1); });
  auto in = broker.next();
  REQUIRE(in);
  CHECK(in->header.call == static_cast<std::uint64_t>(in->id()));
  CHECK_FALSE(in->header.progress);
  CHECK(in->header.timeout.has_value());
  broker.result(*in, "1");
  sync.join();

  auto plain = object.start<int>("g", {});
  in = broker.next();
  REQUIRE(in);
  CHECK(in->header_text == "roc/1 timeout-ms=5000 attach=1 call=" + std::to_string(in->id()));
  broker.result(*in, "2");
  CHECK(plain.get() == 2);

  roc::CallOptions queued;
  queued.progress = true;
  auto watched = object.start<int>("h", queued);
  in = broker.next();
  REQUIRE(in);
  CHECK(in->header_text == "roc/1 timeout-ms=5000 attach=1 call=" + std::to_string(in->id()) + " progress=1");
  broker.result(*in, "3");
  CHECK(watched.get() == 3);

  roc::CallOptions callback;
  callback.on_progress = [](const roc::Progress&) {};
  callback.timeout = 700ms;
  auto called_back = object.start<int>("i", callback);
  in = broker.next();
  REQUIRE(in);
  CHECK(in->header_text == "roc/1 timeout-ms=700 attach=1 call=" + std::to_string(in->id()) + " progress=1");
  broker.result(*in, "4");
  CHECK(called_back.get() == 4);

  auto future = object.call_async<int>("j");
  in = broker.next();
  REQUIRE(in);
  CHECK(in->header.call == static_cast<std::uint64_t>(in->id()));
  CHECK_FALSE(in->header.progress);
  broker.result(*in, "5");
  CHECK(future.get() == 5);

  object.notify("k");
  in = broker.next();
  REQUIRE(in);
  CHECK(in->header_text == "roc/1 timeout-ms=5000");  // a notification has no id to name it by
}

TEST_CASE("Progress events reach on_progress and next_progress in order, before the result") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  std::mutex mutex;
  std::vector<roc::Progress> seen;
  roc::CallOptions options;
  options.progress = true;
  options.on_progress = [&](const roc::Progress& p) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(p);
  };
  auto call = client["obj"].start<int>("expose", options, 3);
  auto in = broker.next();
  REQUIRE(in);
  const auto id = static_cast<std::uint64_t>(in->id());
  for (int i = 1; i <= 3; ++i) broker.event(*in, id, progress_body(i));
  broker.event(*in, id, R"({"message":"no fraction"})");
  broker.result(*in, "42");

  CHECK(call.get() == 42);
  {
    std::lock_guard<std::mutex> lock(mutex);  // the callback ran for each event before the outcome
    REQUIRE(seen.size() == 4);
    CHECK(seen[0].message == "step 1");
    CHECK(seen[3].message == "no fraction");
  }
  for (int i = 1; i <= 3; ++i) {
    auto p = call.next_progress(0ms);
    REQUIRE(p);
    REQUIRE(p->fraction);
    CHECK(*p->fraction == doctest::Approx(i / 10.0));
    CHECK(p->message == "step " + std::to_string(i));
    CHECK(p->data.value()["i"].GetInt() == i);
  }
  auto last = call.next_progress(0ms);
  REQUIRE(last);
  CHECK_FALSE(last->fraction);
  CHECK(last->data.value().IsNull());
  CHECK_FALSE(call.next_progress(100ms));  // the call has ended: no waiting
}

TEST_CASE("Events of other calls, of unknown kinds or with bad bodies are dropped") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  roc::CallOptions options;
  options.progress = true;
  auto call = client["obj"].start<int>("expose", options);
  auto in = broker.next();
  REQUIRE(in);
  const auto id = static_cast<std::uint64_t>(in->id());
  broker.event(*in, id + 1000, progress_body(1));
  broker.event(*in, id, progress_body(2), "sparkle");
  broker.event(*in, id, "not json");
  broker.event(*in, id, "[1,2]");
  broker.event(*in, id, progress_body(5));
  broker.result(*in, "7");
  CHECK(call.get() == 7);
  auto p = call.next_progress(0ms);
  REQUIRE(p);
  CHECK(p->message == "step 5");
  CHECK_FALSE(call.next_progress(0ms));
}

TEST_CASE("A sync call skips events that come before its reply") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  std::thread fake([&] {
    auto in = broker.next();
    REQUIRE(in);
    broker.event(*in, static_cast<std::uint64_t>(in->id()), progress_body(1));
    broker.result(*in, "8");
  });
  CHECK(client["obj"].call<int>("f") == 8);
  fake.join();
}

TEST_CASE("next_progress keeps the latest 1024 events of a reader that falls behind") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  roc::CallOptions options;
  options.progress = true;
  auto call = client["obj"].start<int>("flood", options);
  auto in = broker.next();
  REQUIRE(in);
  for (int i = 0; i < 1100; ++i) broker.event(*in, static_cast<std::uint64_t>(in->id()), progress_body(i));
  broker.result(*in, "1");
  REQUIRE(call.wait_for(5000ms));
  int count = 0;
  int first = -1;
  while (auto p = call.next_progress(0ms)) {
    if (count++ == 0) first = p->data.value()["i"].GetInt();
  }
  CHECK(count == 1024);
  CHECK(first == 1100 - 1024);
}

TEST_CASE("An on_progress callback that throws costs neither the call nor the client") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  roc::CallOptions options;
  options.on_progress = [](const roc::Progress&) { throw std::runtime_error("clumsy callback"); };
  auto call = client["obj"].start<int>("f", options);
  auto in = broker.next();
  REQUIRE(in);
  broker.event(*in, static_cast<std::uint64_t>(in->id()), progress_body(1));
  broker.result(*in, "9");
  CHECK(call.get() == 9);
  auto again = client["obj"].start<int>("f", {});
  in = broker.next();
  REQUIRE(in);
  broker.result(*in, "10");
  CHECK(again.get() == 10);
}

TEST_CASE("cancel() sends `roc/1 cancel=N` on the connection the call used; -32008 makes get() throw Cancelled") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  // A sync call first: its connection is the calling thread's, which must not carry the cancel.
  std::thread sync([&] { CHECK(client["obj"].call<int>("f") == 1); });
  auto first = broker.next();
  REQUIRE(first);
  broker.result(*first, "1");
  sync.join();

  auto call = client["obj"].start<int>("slow", {});
  auto in = broker.next();
  REQUIRE(in);
  call.cancel();
  call.cancel();  // idempotent: one cancel goes out
  auto cancel = broker.next();
  REQUIRE(cancel);
  CHECK(cancel->connection == in->connection);
  CHECK(cancel->connection != first->connection);
  CHECK(cancel->service == "obj");
  CHECK(cancel->header_text == "roc/1 cancel=" + std::to_string(in->id()));
  CHECK(cancel->body.empty());
  CHECK_FALSE(broker.next(200ms));
  broker.cancelled(*in, static_cast<std::uint64_t>(in->id()));
  CHECK_THROWS_AS(call.get(), roc::Cancelled);
  call.cancel();  // after the outcome: nothing
  CHECK_FALSE(broker.next(200ms));
}

TEST_CASE("A cancel the broker never answers fails the call locally after a short grace") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {10000ms});
  auto call = client["obj"].start<int>("slow", {});
  REQUIRE(broker.next());
  const auto start = Clock::now();
  call.cancel();
  REQUIRE(call.wait_for(5000ms));
  const auto took = Clock::now() - start;
  CHECK(took >= roc::detail::ClientCore::cancel_grace - 50ms);
  CHECK(took < roc::detail::ClientCore::cancel_grace + 1000ms * roc::test::sanitizer_slowdown);
  CHECK_THROWS_AS(call.get(), roc::Cancelled);
}

TEST_CASE("A cancel racing the reply leaves exactly one outcome: the reply that came first") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  for (int round = 0; round < 20; ++round) {
    auto call = client["obj"].start<int>("f", {});
    auto in = broker.next();
    REQUIRE(in);
    broker.result(*in, std::to_string(round));
    call.cancel();
    // Were the cancel to arrive in time, a broker would answer -32008; ours does so regardless, late.
    if (auto cancel = broker.next(100ms)) broker.cancelled(*in, cancel->header.cancel);
    CHECK(call.get() == round);
  }
}

TEST_CASE("A sync call whose timeout passes sends the cancel on its own connection, then throws TimeoutError") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {300ms});
  CHECK_THROWS_AS(client["obj"].call<int>("slow"), roc::TimeoutError);
  auto in = broker.next();
  REQUIRE(in);
  auto cancel = broker.next();
  REQUIRE(cancel);
  CHECK(cancel->connection == in->connection);
  CHECK(cancel->header.cancel == static_cast<std::uint64_t>(in->id()));
}

TEST_CASE("Started and async calls whose timeout passes are cancelled from the I/O thread") {
  FakeBroker broker;
  roc::Client client(broker.endpoints(), {5000ms});
  roc::CallOptions options;
  options.timeout = 300ms;
  auto call = client["obj"].start<int>("slow", options);
  auto in = broker.next();
  REQUIRE(in);
  CHECK_THROWS_AS(call.get(), roc::TimeoutError);
  auto cancel = broker.next();
  REQUIRE(cancel);
  CHECK(cancel->connection == in->connection);
  CHECK(cancel->header.cancel == static_cast<std::uint64_t>(in->id()));

  auto future = client["obj"].with_timeout(300ms).call_async<int>("slow");
  in = broker.next();
  REQUIRE(in);
  CHECK_THROWS_AS(future.get(), roc::TimeoutError);
  cancel = broker.next();
  REQUIRE(cancel);
  CHECK(cancel->header.cancel == static_cast<std::uint64_t>(in->id()));
}

// ---- roc call ---------------------------------------------------------------------------------

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> roc_call(const FakeBroker& broker, std::vector<std::string> extra) {
  std::vector<std::string> argv{ROC_CLI, "--broker", broker.address(), "-t", "20", "call", "obj", "slow"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace

TEST_CASE("roc call's progress text: a bar fitted to the terminal, or one plain line per event") {
  using roc::cli::format_progress;
  roc::Progress p;
  p.fraction = 0.45;
  p.message = "frame 3 of 10";
  CHECK(format_progress(p, true, 80) == "[#########           ]  45% frame 3 of 10");
  CHECK(format_progress(p, false, 0) == "roc: progress  45% frame 3 of 10");
  CHECK(format_progress(p, true, 20) == "[#########         ");  // never as wide as the line: no wrap
  p.fraction = 1.2;  // a method's rounding does not overfill the bar
  CHECK(format_progress(p, true, 80) == "[####################] 100% frame 3 of 10");
  p.fraction.reset();
  p.message = "homing";
  p.data = roc::Json::parse(R"({"x":1})");
  CHECK(format_progress(p, true, 80) == "homing");
  CHECK(format_progress(p, false, 0) == R"(roc: progress homing {"x":1})");
  p.message = "\xc3\xa9t\xc3\xa9";  // "été": cut between characters, never inside one
  CHECK(format_progress(p, true, 3) == "\xc3\xa9");
  CHECK(format_progress(p, true, 5) == "\xc3\xa9t");
}

TEST_CASE("roc call --progress prints one line per event on stderr; without a terminal it asks for none") {
  FakeBroker broker;
  roc::test::TempDir dir;
  {
    roc::test::Child roc(roc_call(broker, {"--progress"}), dir / "out");
    auto in = broker.next(10000ms);
    REQUIRE(in);
    CHECK(in->header.progress);
    broker.event(*in, static_cast<std::uint64_t>(in->id()), R"({"fraction":0.4,"message":"frame 2 of 5"})");
    broker.event(*in, static_cast<std::uint64_t>(in->id()), R"({"message":"settling","data":{"t":1.5}})");
    broker.result(*in, R"("done")");
    REQUIRE(roc.wait(10000ms) == 0);
    const auto out = read_file(dir / "out");
    INFO(out);
    CHECK(out.find("roc: progress  40% frame 2 of 5\n") != std::string::npos);
    CHECK(out.find("roc: progress settling {\"t\":1.5}\n") != std::string::npos);
    CHECK(out.find("\"done\"") != std::string::npos);
  }
  for (const char* flag : {"", "--no-progress"}) {
    roc::test::Child roc(roc_call(broker, *flag ? std::vector<std::string>{flag} : std::vector<std::string>{}),
                         dir / "out");
    auto in = broker.next(10000ms);
    REQUIRE(in);
    CHECK_FALSE(in->header.progress);
    broker.result(*in, "1");
    CHECK(roc.wait(10000ms) == 0);
  }
}

TEST_CASE("Ctrl-C on roc call sends the cancel, says the call was cancelled and exits 130") {
  FakeBroker broker;
  roc::test::TempDir dir;
  roc::test::Child roc(roc_call(broker, {"--progress"}), dir / "out");
  auto in = broker.next(10000ms);
  REQUIRE(in);  // the call is out: roc is waiting, its handler in place
  REQUIRE(::kill(roc.pid(), SIGINT) == 0);
  auto cancel = broker.next(5000ms);
  REQUIRE(cancel);
  CHECK(cancel->connection == in->connection);
  CHECK(cancel->header.cancel == static_cast<std::uint64_t>(in->id()));
  broker.cancelled(*in, cancel->header.cancel);
  CHECK(roc.wait(5000ms) == 130);
  CHECK(read_file(dir / "out").find("roc: cancelled the call to 'obj.slow'\n") != std::string::npos);
}

TEST_CASE("Ctrl-C on roc call exits 130 within 2 s when the broker never confirms the cancel") {
  FakeBroker broker;
  roc::test::TempDir dir;
  roc::test::Child roc(roc_call(broker, {}), dir / "out");
  REQUIRE(broker.next(10000ms));
  const auto start = Clock::now();
  REQUIRE(::kill(roc.pid(), SIGINT) == 0);
  REQUIRE(broker.next(5000ms));  // the cancel
  CHECK(roc.wait(5000ms) == 130);
  CHECK(Clock::now() - start < 2500ms * roc::test::sanitizer_slowdown);
  CHECK(read_file(dir / "out").find("roc: cancelled the call to 'obj.slow'\n") != std::string::npos);
}

// ---- end to end through rocbroker ---------------------------------------------------------------

namespace {

/// A roc worker played frame by frame behind rocbroker: it registers with `cancel progress`, so the
/// broker passes it the call's name, progress=1 and CANCEL.
class RawWorker {
 public:
  RawWorker(zmq::context_t& context, const std::string& endpoint, const std::string& service)
      : peer_(context, endpoint) {
    peer_.send({"", "MDPW01", std::string(1, '\x01'), service, "1", "attachments cancel progress"});
  }
  /// The next REQUEST or CANCEL (heartbeats skipped), or nothing within `wait`.
  std::optional<mdp::WorkerMessage> next(std::chrono::milliseconds wait = 5000ms) {
    const auto until = Clock::now() + wait;
    while (Clock::now() < until) {
      auto frames = peer_.recv(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
      if (!frames) return std::nullopt;
      auto decoded = mdp::decode_at_worker(*frames);
      REQUIRE_MESSAGE(decoded, decoded.error);
      if (decoded.message->command != mdp::Command::heartbeat) return std::move(decoded.message);
    }
    return std::nullopt;
  }
  void progress(const mdp::WorkerMessage& request, const std::string& body) {
    peer_.send({"", "MDPW01", std::string(1, '\x06'), request.client.to_string(), "",
                std::to_string(request.header->call), body});
  }
  void reply(const mdp::WorkerMessage& request, const std::string& body) {
    peer_.send({"", "MDPW01", std::string(1, '\x03'), request.client.to_string(), "", body});
  }

 private:
  roc::test::MdpPeer peer_;
};

std::int64_t id_of(const mdp::WorkerMessage& request) {
  roc::Json j = roc::Json::parse(request.body.front().to_string_view());
  return j.value()["id"].GetInt64();
}

}  // namespace

TEST_CASE("Through rocbroker: progress reaches a started call; cancel() tells the worker and ends the call at once") {
  roc::test::BrokerProcess broker(ROC_BROKER, {});
  zmq::context_t context;
  RawWorker worker(context, "tcp://" + broker.address(), "cam");
  roc::Endpoints endpoints(broker.address());
  endpoints.set_credentials(roc::Credentials{});
  roc::Client client(endpoints, {10000ms});
  REQUIRE(roc::test::wait_until([&] { return client.exists("cam"); }, 5000ms));

  roc::CallOptions options;
  options.progress = true;
  auto call = client["cam"].start<int>("expose", options);
  auto request = worker.next();
  REQUIRE(request);
  REQUIRE(request->command == mdp::Command::request);
  REQUIRE(request->header);
  CHECK(request->header->call == static_cast<std::uint64_t>(id_of(*request)));
  CHECK(request->header->progress);
  worker.progress(*request, R"({"fraction":0.25,"message":"frame 1 of 4"})");
  auto p = call.next_progress(5000ms);
  REQUIRE(p);
  CHECK(p->message == "frame 1 of 4");

  const auto start = Clock::now();
  call.cancel();
  CHECK_THROWS_AS(call.get(), roc::Cancelled);
  CHECK(Clock::now() - start < 500ms * roc::test::sanitizer_slowdown);  // the broker's answer, not the grace
  auto cancel = worker.next();
  REQUIRE(cancel);
  CHECK(cancel->command == mdp::Command::cancel);
  CHECK(cancel->call == request->header->call);
  // The worker's late REPLY returns the credit; the broker drops it, and the next call gets through.
  worker.reply(*request, R"({"jsonrpc":"2.0","id":)" + std::to_string(id_of(*request)) +
                             R"(,"error":{"code":-32008,"message":"cancelled"}})");
  auto next = client["cam"].start<int>("expose", {});
  request = worker.next();
  REQUIRE(request);
  worker.reply(*request, R"({"jsonrpc":"2.0","id":)" + std::to_string(id_of(*request)) + R"(,"result":5})");
  CHECK(next.get() == 5);
}

TEST_CASE("Through rocbroker: a sync call whose timeout passes has its worker told to cancel") {
  roc::test::BrokerProcess broker(ROC_BROKER, {});
  zmq::context_t context;
  RawWorker worker(context, "tcp://" + broker.address(), "cam");
  roc::Endpoints endpoints(broker.address());
  endpoints.set_credentials(roc::Credentials{});
  roc::Client client(endpoints, {10000ms});
  REQUIRE(roc::test::wait_until([&] { return client.exists("cam"); }, 5000ms));
  CHECK_THROWS_AS(client["cam"].with_timeout(300ms).call<int>("slow"), roc::TimeoutError);
  auto request = worker.next();
  REQUIRE(request);
  auto cancel = worker.next();
  REQUIRE(cancel);
  CHECK(cancel->command == mdp::Command::cancel);
  CHECK(cancel->call == static_cast<std::uint64_t>(id_of(*request)));
}

TEST_CASE("Through rocbroker: Ctrl-C on roc call tells the worker to cancel, and roc exits 130") {
  roc::test::BrokerProcess broker(ROC_BROKER, {});
  zmq::context_t context;
  RawWorker worker(context, "tcp://" + broker.address(), "vnir");
  roc::test::TempDir dir;
  roc::test::Child roc({ROC_CLI, "--broker", broker.address(), "-t", "20", "call", "vnir", "exposure_series", "[10]",
                        "--progress"},
                       dir / "out");
  auto request = worker.next(10000ms);
  REQUIRE(request);
  REQUIRE(request->header);
  CHECK(request->header->progress);
  worker.progress(*request, R"({"fraction":0.1,"message":"frame 1 of 10"})");
  REQUIRE(roc::test::wait_until([&] { return read_file(dir / "out").find("frame 1 of 10") != std::string::npos; },
                                5000ms));
  REQUIRE(::kill(roc.pid(), SIGINT) == 0);
  auto cancel = worker.next();
  REQUIRE(cancel);
  CHECK(cancel->command == mdp::Command::cancel);
  CHECK(cancel->call == request->header->call);
  CHECK(roc.wait(5000ms) == 130);
  const auto out = read_file(dir / "out");
  INFO(out);
  CHECK(out.find("roc: progress  10% frame 1 of 10\n") != std::string::npos);
  CHECK(out.find("roc: cancelled the call to 'vnir.exposure_series'\n") != std::string::npos);
}
