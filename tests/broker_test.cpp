// roc::Broker over real tcp sockets on 127.0.0.1, driven by raw cppzmq DEALERs playing client and
// worker: routing, credit, load sharing, lost workers, unknown ids, MMI, heartbeats, garbage,
// oversized requests, orderly stop and the log/status relay.
#include <doctest/doctest.h>

#include "broker/rate_limited_log.hpp"
#include "broker/oversize.hpp"
#include "wire/status_protocol.hpp"
#include "support/test_support.hpp"

#include <roc/broker.hpp>
#include <roc/error.hpp>

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <chrono>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using Frames = std::vector<zmq::message_t>;
using Clock = std::chrono::steady_clock;

namespace {

const std::string ready_cmd(1, '\x01');
const std::string request_cmd(1, '\x02');
const std::string reply_cmd(1, '\x03');
const std::string heartbeat_cmd(1, '\x04');
const std::string disconnect_cmd(1, '\x05');

roc::BrokerOptions fast_options() {
  roc::BrokerOptions o;
  o.bind = "127.0.0.1:0";
  o.heartbeat_interval = 100ms;
  o.heartbeat_liveness = 3;
  o.unknown_object_grace = 200ms;
  return o;
}

std::string str(const zmq::message_t& m) { return m.to_string(); }

std::string request_body(int id, const std::string& method = "ping") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"("})";
}

// A raw DEALER connected to the broker's calls endpoint.
class Peer {
 public:
  Peer(zmq::context_t& context, const std::string& endpoint, const std::string& identity = {})
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    if (!identity.empty()) socket_.set(zmq::sockopt::routing_id, identity);
    socket_.connect(endpoint);
  }

  void send(std::initializer_list<std::string> parts) {
    Frames f;
    for (const auto& p : parts) f.emplace_back(p.data(), p.size());
    send(f);
  }
  void send(Frames& f) { REQUIRE(zmq::send_multipart(socket_, f)); }

  /// The next message, or nothing within `timeout`.
  std::optional<Frames> recv(std::chrono::milliseconds timeout = 2s) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    Frames f;
    REQUIRE(zmq::recv_multipart(socket_, std::back_inserter(f)));
    return f;
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

// A 7/MDP client.
class Client : public Peer {
 public:
  using Peer::Peer;
  void call(const std::string& service, const std::string& body) { send({"", "MDPC01", service, body}); }
  /// The reply body from `service`, checking the frame layout; nothing within `timeout`.
  std::optional<std::string> reply(const std::string& service, std::chrono::milliseconds timeout = 2s) {
    auto f = recv(timeout);
    if (!f) return std::nullopt;
    REQUIRE(f->size() >= 4);
    CHECK(str((*f)[0]).empty());
    CHECK(str((*f)[1]) == "MDPC01");
    CHECK(str((*f)[2]) == service);
    return str((*f)[3]);
  }
};

// A 7/MDP worker (roc's credit frame optional).
class Worker : public Peer {
 public:
  using Peer::Peer;
  struct Request {
    std::string client;
    Frames body;
  };
  void ready(const std::string& service, std::optional<unsigned> credit = std::nullopt) {
    if (credit)
      send({"", "MDPW01", ready_cmd, service, std::to_string(*credit)});
    else
      send({"", "MDPW01", ready_cmd, service});
  }
  void heartbeat() { send({"", "MDPW01", heartbeat_cmd}); }
  void disconnect() { send({"", "MDPW01", disconnect_cmd}); }
  void reply(const std::string& client, const std::string& body) {
    send({"", "MDPW01", reply_cmd, client, "", body});
  }
  /// The next command other than HEARTBEAT (counted in `heartbeats`); nothing within `timeout`.
  std::optional<Frames> command(std::chrono::milliseconds timeout = 2s) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto f = recv(std::max(left, 0ms));
      if (!f) return std::nullopt;
      REQUIRE(f->size() >= 3);
      CHECK(str((*f)[0]).empty());
      CHECK(str((*f)[1]) == "MDPW01");
      if (str((*f)[2]) == heartbeat_cmd) {
        ++heartbeats;
        continue;
      }
      return f;
    }
  }
  std::optional<Request> request(std::chrono::milliseconds timeout = 2s) {
    auto f = command(timeout);
    if (!f) return std::nullopt;
    REQUIRE(f->size() >= 6);
    REQUIRE(str((*f)[2]) == request_cmd);
    CHECK(str((*f)[4]).empty());
    Request r{str((*f)[3]), {}};
    for (std::size_t i = 5; i < f->size(); ++i) r.body.push_back(std::move((*f)[i]));
    return r;
  }
  int heartbeats = 0;
};

struct Fixture {
  explicit Fixture(roc::BrokerOptions options = fast_options()) : broker(options) { broker.start(); }
  ~Fixture() { broker.stop(); }
  std::string calls() const { return broker.endpoints().calls(); }
  bool serving(const std::string& id, std::size_t workers = 1) {
    return roc::test::wait_until([&] {
      auto w = broker.workers();
      auto it = w.find(id);
      return (it == w.end() ? 0 : it->second) == workers;
    });
  }
  zmq::context_t context;
  roc::Broker broker;
};

rapidjson::Document json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// Checks `text` is a JSON-RPC error with `code` for request id `id`, whose message names `word`.
void check_error(const std::string& text, int code, int id, const std::string& word) {
  auto d = json(text);
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("id"));
  REQUIRE(d["id"].IsInt());
  CHECK(d["id"].GetInt() == id);
  REQUIRE(d.HasMember("error"));
  REQUIRE(d["error"].IsObject());
  REQUIRE(d["error"]["code"].IsInt());
  CHECK(d["error"]["code"].GetInt() == code);
  REQUIRE(d["error"]["message"].IsString());
  std::string message = d["error"]["message"].GetString();
  CHECK_MESSAGE(message.find(word) != std::string::npos, message);
}

// A plain TCP connection for bytes that are not ZMTP at all.
class RawTcp {
 public:
  explicit RawTcp(std::uint16_t port) : port_(port) {}
  ~RawTcp() { close(); }
  void write(const std::string& bytes) {
    if (fd_ < 0) open();
    if (fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) close();
  }

 private:
  void open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) close();
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::uint16_t port_;
  int fd_ = -1;
};

struct QuietLogs {
  QuietLogs() { spdlog::set_level(spdlog::level::err); }
};
const QuietLogs quiet_logs;

}  // namespace

TEST_CASE("a request is routed to the worker serving its id and the reply goes back to the caller") {
  Fixture fx;
  Worker worker(fx.context, fx.calls());
  worker.ready("echo");
  REQUIRE(fx.serving("echo"));
  Client client(fx.context, fx.calls(), "client-A");

  SUBCASE("one body frame") {
    client.call("echo", request_body(1));
    auto r = worker.request();
    REQUIRE(r);
    CHECK(r->client == "client-A");
    REQUIRE(r->body.size() == 1);
    CHECK(str(r->body[0]) == request_body(1));
    worker.reply(r->client, R"({"jsonrpc":"2.0","id":1,"result":"pong"})");
    CHECK(client.reply("echo") == R"({"jsonrpc":"2.0","id":1,"result":"pong"})");
    CHECK(roc::test::wait_until([&] { return fx.broker.stats().replies == 1; }));
  }
  SUBCASE("attachment frames pass both ways untouched to a worker that reads them") {
    Worker reader(fx.context, fx.calls());
    reader.send({"", "MDPW01", ready_cmd, "bulk", "1", "attachments"});
    REQUIRE(fx.serving("bulk"));
    client.send({"", "MDPC01", "bulk", request_body(2), std::string("\0\1\2", 3)});
    auto r = reader.request();
    REQUIRE(r);
    REQUIRE(r->body.size() == 2);
    CHECK(str(r->body[1]) == std::string("\0\1\2", 3));
    reader.send({"", "MDPW01", reply_cmd, r->client, "", "{}", "bulk"});
    auto f = client.recv();
    REQUIRE(f);
    REQUIRE(f->size() == 5);
    CHECK(str((*f)[4]) == "bulk");
  }
  SUBCASE("a worker that reads no attachments gets their values written into the JSON") {
    client.send({"", "MDPC01", "echo",
                 R"({"jsonrpc":"2.0","id":2,"method":"m","params":[{"$attachment":0,"type":"uint8","order":"little","shape":[3]}]})",
                 std::string("\0\1\2", 3)});
    auto r = worker.request();
    REQUIRE(r);
    REQUIRE(r->body.size() == 1);
    CHECK(str(r->body[0]) == R"({"jsonrpc":"2.0","id":2,"method":"m","params":[[0,1,2]]})");
  }
  SUBCASE("a reference that does not fit is answered for such a worker, which never sees it") {
    client.send({"", "MDPC01", "echo",
                 R"({"jsonrpc":"2.0","id":2,"method":"m","params":[{"$attachment":0,"type":"uint16","order":"little","shape":[3]}]})",
                 std::string("\0\1\2", 3)});
    auto reply = client.reply("echo");
    REQUIRE(reply);
    CHECK(reply->find("-32602") != std::string::npos);
    CHECK(reply->find("reads no attachments") != std::string::npos);
    CHECK_FALSE(worker.request(std::chrono::milliseconds(100)));
  }
}

TEST_CASE("credit: a worker holds up to N calls in flight; a worker without a credit frame holds one") {
  Fixture fx;
  Client client(fx.context, fx.calls());

  SUBCASE("credit 4") {
    Worker worker(fx.context, fx.calls());
    worker.ready("cam", 4);
    REQUIRE(fx.serving("cam"));
    for (int i = 1; i <= 6; ++i) client.call("cam", request_body(i));
    std::vector<Worker::Request> held;
    for (int i = 1; i <= 4; ++i) {
      auto r = worker.request();
      REQUIRE(r);
      CHECK(str(r->body[0]) == request_body(i));  // in arrival order
      held.push_back(std::move(*r));
    }
    CHECK_FALSE(worker.request(150ms));  // the fifth waits for a credit
    CHECK(roc::test::wait_until([&] { return fx.broker.stats().queued == 2; }));
    worker.reply(held[0].client, "r1");
    auto fifth = worker.request();
    REQUIRE(fifth);
    CHECK(str(fifth->body[0]) == request_body(5));
    CHECK(client.reply("cam") == "r1");
  }
  SUBCASE("plain 7/MDP worker: one at a time") {
    Worker worker(fx.context, fx.calls());
    worker.ready("cam");
    REQUIRE(fx.serving("cam"));
    client.call("cam", request_body(1));
    client.call("cam", request_body(2));
    auto first = worker.request();
    REQUIRE(first);
    CHECK_FALSE(worker.request(150ms));
    worker.reply(first->client, "r1");
    auto second = worker.request();
    REQUIRE(second);
    CHECK(str(second->body[0]) == request_body(2));
    worker.reply(second->client, "r2");
    CHECK(client.reply("cam") == "r1");
    CHECK(client.reply("cam") == "r2");
  }
}

TEST_CASE("two workers for one id share the load") {
  Fixture fx;
  Worker a(fx.context, fx.calls()), b(fx.context, fx.calls());
  a.ready("motor", 2);
  b.ready("motor", 2);
  REQUIRE(fx.serving("motor", 2));
  Client client(fx.context, fx.calls());
  constexpr int calls = 40;
  for (int i = 0; i < calls; ++i) client.call("motor", request_body(i));

  int served_a = 0, served_b = 0, replies = 0;
  const auto deadline = Clock::now() + 5s;
  while (replies < calls && Clock::now() < deadline) {
    for (auto [w, count] : {std::pair{&a, &served_a}, std::pair{&b, &served_b}}) {
      if (auto r = w->request(5ms)) {
        w->reply(r->client, "ok");
        ++*count;
      }
    }
    while (client.reply("motor", 0ms)) ++replies;
  }
  while (replies < calls && client.reply("motor")) ++replies;
  CHECK(replies == calls);
  CHECK(served_a + served_b == calls);
  CHECK(served_a >= calls / 4);
  CHECK(served_b >= calls / 4);

  SUBCASE("sequential calls alternate between equally free workers") {
    int a_before = served_a, b_before = served_b;
    for (int i = 0; i < 4; ++i) {
      client.call("motor", request_body(100 + i));
      Worker* got = nullptr;
      for (int spin = 0; spin < 200 && !got; ++spin)
        for (Worker* w : {&a, &b})
          if (auto r = w->request(5ms)) {
            w->reply(r->client, "ok");
            got = w;
            (w == &a ? served_a : served_b)++;
            break;
          }
      REQUIRE(got);
      REQUIRE(client.reply("motor"));
    }
    CHECK(served_a - a_before == 2);
    CHECK(served_b - b_before == 2);
  }
}

TEST_CASE("calls held by a worker that goes away get -32002 naming the object") {
  Fixture fx;
  Client client(fx.context, fx.calls());
  auto worker = std::make_unique<Worker>(fx.context, fx.calls());
  worker->ready("vnir", 3);
  REQUIRE(fx.serving("vnir"));
  for (int i = 1; i <= 3; ++i) client.call("vnir", request_body(i));
  for (int i = 1; i <= 3; ++i) REQUIRE(worker->request());

  SUBCASE("the worker sends DISCONNECT: answered at once") {
    const auto t0 = Clock::now();
    worker->disconnect();
    for (int i = 1; i <= 3; ++i) {
      auto r = client.reply("vnir", 1s);
      REQUIRE(r);
      check_error(*r, roc::error_code::object_gone, i, "'vnir'");
    }
    CHECK(Clock::now() - t0 < 500ms);
    CHECK(roc::test::wait_until([&] { return fx.broker.stats().gone == 3; }));
    CHECK(fx.broker.workers().count("vnir") == 0);
  }
  SUBCASE("the worker process dies (its connection closes): answered at once") {
    const auto t0 = Clock::now();
    worker.reset();  // the socket closes; no DISCONNECT is sent
    for (int i = 1; i <= 3; ++i) {
      auto r = client.reply("vnir", 2s);
      REQUIRE(r);
      check_error(*r, roc::error_code::object_gone, i, "'vnir'");
    }
    CHECK(Clock::now() - t0 < 250ms);  // well before the 300 ms expiry
    CHECK(fx.broker.stats().expired_workers == 0);
  }
  SUBCASE("the worker hangs (connection open, no heartbeats): answered when it expires") {
    const auto t0 = Clock::now();
    for (int i = 1; i <= 3; ++i) {
      auto r = client.reply("vnir", 2s);
      REQUIRE(r);
      check_error(*r, roc::error_code::object_gone, i, "'vnir'");
    }
    const auto took = Clock::now() - t0;
    CHECK(took >= 150ms);  // interval × liveness = 300 ms after its last message
    CHECK(took < 1s);
    CHECK(roc::test::wait_until([&] { return fx.broker.stats().expired_workers == 1; }));
  }
  SUBCASE("a batch held by the worker gets one error per request id; notifications none") {
    client.call("vnir", R"([{"jsonrpc":"2.0","id":7,"method":"a"},{"jsonrpc":"2.0","method":"n"}])");
    client.call("vnir", R"({"jsonrpc":"2.0","method":"only_a_notification"})");
    worker->disconnect();
    for (int i = 1; i <= 3; ++i) REQUIRE(client.reply("vnir"));
    // The batch and the notification were still queued, so they wait for a new worker and
    // then get -32001 after the grace (the worker is gone, not mid-call).
    auto batch = client.reply("vnir");
    REQUIRE(batch);
    auto d = json(*batch);
    REQUIRE(d.IsArray());
    REQUIRE(d.Size() == 1);
    CHECK(d[0]["id"].GetInt() == 7);
    CHECK(d[0]["error"]["code"].GetInt() == roc::error_code::object_not_found);
    CHECK_FALSE(client.reply("vnir", 300ms));  // nothing for the notification
  }
}

TEST_CASE("a request for an id nobody serves waits the grace, then gets -32001 naming the id") {
  Fixture fx;
  Client client(fx.context, fx.calls());

  SUBCASE("nobody comes") {
    const auto t0 = Clock::now();
    client.call("nobody", request_body(5));
    auto r = client.reply("nobody");
    REQUIRE(r);
    const auto took = Clock::now() - t0;
    check_error(*r, roc::error_code::object_not_found, 5, "'nobody'");
    CHECK(took >= 190ms);
    CHECK(took < 1s);
    CHECK(roc::test::wait_until([&] { return fx.broker.stats().not_found == 1; }));
  }
  SUBCASE("a worker that registers within the grace gets the call") {
    client.call("late", request_body(6));
    REQUIRE(roc::test::wait_until([&] { return fx.broker.stats().queued == 1; }));
    Worker worker(fx.context, fx.calls());
    worker.ready("late");
    auto r = worker.request();
    REQUIRE(r);
    CHECK(str(r->body[0]) == request_body(6));
    worker.reply(r->client, "done");
    CHECK(client.reply("late") == "done");
  }
}

TEST_CASE("8/MMI: mmi.service, mmi.objects, and 501 for the rest") {
  Fixture fx;
  Worker a1(fx.context, fx.calls()), a2(fx.context, fx.calls()), b(fx.context, fx.calls());
  a1.ready("alpha");
  a2.ready("alpha", 8);
  b.ready("beta\"quoted");
  REQUIRE(fx.serving("alpha", 2));
  REQUIRE(fx.serving("beta\"quoted"));
  Client client(fx.context, fx.calls());

  client.call("mmi.service", "alpha");
  CHECK(client.reply("mmi.service") == "200");
  client.call("mmi.service", "gamma");
  CHECK(client.reply("mmi.service") == "404");

  client.call("mmi.objects", "");
  auto list = client.reply("mmi.objects");
  REQUIRE(list);
  CHECK(*list == R"([{"id":"alpha","workers":2},{"id":"beta\"quoted","workers":1}])");

  client.call("mmi.nonsense", "x");
  CHECK(client.reply("mmi.nonsense") == "501");

  SUBCASE("a worker cannot register a reserved mmi. id") {
    Worker rogue(fx.context, fx.calls());
    rogue.ready("mmi.service");
    auto f = rogue.command();
    REQUIRE(f);
    CHECK(str((*f)[2]) == disconnect_cmd);
  }
}

TEST_CASE("heartbeats: the broker sends them, and drops a worker that stops sending them") {
  Fixture fx;
  Worker live(fx.context, fx.calls()), silent(fx.context, fx.calls());
  live.ready("live");
  silent.ready("silent");
  REQUIRE(fx.serving("live"));
  REQUIRE(fx.serving("silent"));

  // The live worker heartbeats every 50 ms for 600 ms (twice the 300 ms expiry).
  const auto until = Clock::now() + 600ms;
  while (Clock::now() < until) {
    live.heartbeat();
    CHECK_FALSE(live.command(50ms));  // nothing but heartbeats arrive
  }
  CHECK(live.heartbeats >= 4);
  CHECK(fx.broker.workers().count("live") == 1);

  // The silent one is gone, and was told so.
  CHECK(fx.broker.workers().count("silent") == 0);
  CHECK(roc::test::wait_until([&] { return fx.broker.stats().expired_workers == 1; }));
  auto f = silent.command(100ms);
  REQUIRE(f);
  CHECK(str((*f)[2]) == disconnect_cmd);
  CHECK(silent.heartbeats >= 1);

  SUBCASE("after being dropped, its heartbeat gets DISCONNECT so it registers again") {
    silent.heartbeat();
    auto again = silent.command();
    REQUIRE(again);
    CHECK(str((*again)[2]) == disconnect_cmd);
  }
}

TEST_CASE("garbage from anyone is dropped while a good client keeps being served") {
  Fixture fx;
  Worker worker(fx.context, fx.calls());
  worker.ready("echo", 16);
  REQUIRE(fx.serving("echo"));
  Client good(fx.context, fx.calls());

  std::atomic<bool> done{false};
  std::thread vandal([&] {
    zmq::context_t context;
    Peer bad(context, fx.broker.endpoints().calls());
    std::mt19937 random(42);
    std::uniform_int_distribution<int> byte(0, 255), length(0, 40), count(1, 6);
    auto junk = [&] {
      std::string s(length(random), '\0');
      for (auto& c : s) c = static_cast<char>(byte(random));
      return s;
    };
    // A raw TCP peer that does not even speak ZMTP (libzmq closes it; it reconnects).
    RawTcp raw(fx.broker.endpoints().port());
    while (!done) {
      Frames f;
      for (int i = count(random); i > 0; --i) {
        auto s = junk();
        f.emplace_back(s.data(), s.size());
      }
      zmq::send_multipart(bad.socket(), f);
      bad.send({""});                                       // an empty message
      bad.send({"", "MDPC02", "echo", "{}"});              // a wrong protocol
      bad.send({"", "MDPC01"});                            // truncated
      bad.send({"", "MDPW01", std::string(1, '\x02'), "x", "", "y"});  // REQUEST from a "worker"
      bad.send({"", "MDPW01", reply_cmd, "nobody", "", "{}"});  // REPLY from an unknown worker
      bad.send({"", "MDPW01", ready_cmd, "echo", "not-a-number"});
      raw.write(junk());
      while (bad.recv(0ms)) {
      }
      std::this_thread::yield();
    }
  });

  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    good.call("echo", request_body(i));
    auto r = worker.request();
    REQUIRE(r);
    worker.reply(r->client, str(r->body[0]));
    auto back = good.reply("echo");
    REQUIRE(back);
    CHECK(*back == request_body(i));
    ++answered;
  }
  done = true;
  vandal.join();
  CHECK(answered == 200);
  CHECK(fx.broker.stats().dropped > 0);
  CHECK(fx.broker.workers().at("echo") == 1);  // the real worker kept its registration
}

TEST_CASE("a worker that sends READY twice is disconnected and its held calls answered") {
  Fixture fx;
  Worker worker(fx.context, fx.calls());
  worker.ready("twice", 2);
  REQUIRE(fx.serving("twice"));
  Client client(fx.context, fx.calls());
  client.call("twice", request_body(1));
  REQUIRE(worker.request());
  worker.ready("twice", 2);
  auto f = worker.command();
  REQUIRE(f);
  CHECK(str((*f)[2]) == disconnect_cmd);
  auto r = client.reply("twice");
  REQUIRE(r);
  check_error(*r, roc::error_code::object_gone, 1, "'twice'");

  SUBCASE("and may register again afterwards") {
    worker.ready("twice", 2);
    REQUIRE(fx.serving("twice"));
  }
}

TEST_CASE("an oversized request gets an error naming both sizes; the worker never sees it") {
  auto options = fast_options();
  options.max_request_bytes = 1024;
  Fixture fx(options);
  Worker worker(fx.context, fx.calls());
  worker.ready("big");
  REQUIRE(fx.serving("big"));
  Client client(fx.context, fx.calls());

  std::string body = R"({"jsonrpc":"2.0","method":"x","params":[")" + std::string(2000, 'a') + R"("],"id":9})";
  client.call("big", body);
  auto r = client.reply("big");
  REQUIRE(r);
  check_error(*r, roc::error_code::invalid_request, 9, std::to_string(body.size()));
  check_error(*r, roc::error_code::invalid_request, 9, "1024");
  CHECK_FALSE(worker.request(100ms));

  client.call("big", request_body(10));  // a small one still goes through
  auto ok = worker.request();
  REQUIRE(ok);
}

TEST_CASE("oversize replies find the ids without building a DOM") {
  using roc::detail::oversize_reply;
  auto error_id = [](const rapidjson::Value& v) { return v["id"].GetInt(); };
  SUBCASE("a single request stops at its id, even before huge params") {
    auto r = json(oversize_reply(R"({"id":3,"jsonrpc":"2.0","params":["unterminated...)", 10, 5));
    CHECK(error_id(r) == 3);
    CHECK(r["error"]["code"].GetInt() == roc::error_code::invalid_request);
  }
  SUBCASE("an id after nested params") {
    auto r = json(oversize_reply(R"({"params":{"id":1,"x":[{"id":2}]},"id":"s"})", 1, 0));
    REQUIRE(r["id"].IsString());
    CHECK(std::string(r["id"].GetString()) == "s");
  }
  SUBCASE("a batch gets one error per id, none for notifications, null for non-objects") {
    auto r = json(oversize_reply(R"([{"id":1},{"method":"n"},5,{"id":2}])", 1, 0));
    REQUIRE(r.IsArray());
    REQUIRE(r.Size() == 3);
    CHECK(r[0]["id"].GetInt() == 1);
    CHECK(r[1]["id"].IsNull());
    CHECK(r[2]["id"].GetInt() == 2);
  }
  SUBCASE("notifications only: no reply") {
    CHECK(oversize_reply(R"({"method":"n","params":[1]})", 1, 0).empty());
    CHECK(oversize_reply(R"([{"method":"n"}])", 1, 0).empty());
  }
  SUBCASE("not JSON, an empty batch, a bare value: one null-id error") {
    for (const char* body : {"{oops", "[]", "42", ""}) {
      auto r = json(oversize_reply(body, 1, 0));
      CHECK(r["id"].IsNull());
    }
  }
}

TEST_CASE("stop() answers held calls and sends DISCONNECT to every worker") {
  roc::Broker broker(fast_options());
  broker.start();
  zmq::context_t context;
  Worker a(context, broker.endpoints().calls()), b(context, broker.endpoints().calls());
  a.ready("a");
  b.ready("b");
  REQUIRE(roc::test::wait_until([&] { return broker.workers().size() == 2; }));
  Client client(context, broker.endpoints().calls());
  client.call("a", request_body(1));
  REQUIRE(a.request());

  broker.stop();
  for (Worker* w : {&a, &b}) {
    auto f = w->command();
    REQUIRE(f);
    CHECK(str((*f)[2]) == disconnect_cmd);
  }
  auto r = client.reply("a");
  REQUIRE(r);
  check_error(*r, roc::error_code::object_gone, 1, "'a'");
  broker.stop();  // idempotent
  CHECK_THROWS_AS(broker.start(), roc::Error);
}

TEST_CASE("lifecycle: run() in a thread until stop(); ports are free again after stop()") {
  auto options = fast_options();
  roc::Broker first(options);
  first.start();
  const auto port = first.endpoints().port();
  CHECK(port != 0);
  CHECK(first.endpoints().calls() == "tcp://127.0.0.1:" + std::to_string(port));
  CHECK(first.endpoints().subscribe() == "tcp://127.0.0.1:" + std::to_string(port + 2));

  options.bind = "127.0.0.1:" + std::to_string(port);
  roc::Broker clash(options);
  try {
    clash.start();
    FAIL("binding a busy port must throw");
  } catch (const roc::Error& e) {
    CHECK(std::string(e.what()).find(std::to_string(port)) != std::string::npos);
  }
  first.stop();

  roc::Broker second(options);  // same port, right after stop()
  std::thread runner([&] { second.run(); });
  zmq::context_t context;
  Client client(context, second.endpoints().calls());
  client.call("mmi.service", "x");
  CHECK(client.reply("mmi.service") == "404");
  second.stop();
  runner.join();

  SUBCASE("an address that does not parse, or cannot be bound, throws roc::Error naming it") {
    roc::BrokerOptions bad;
    bad.bind = "127.0.0.1:notaport";
    CHECK_THROWS_WITH_AS(roc::Broker{bad}, doctest::Contains("notaport"), roc::Error);
    bad.bind = "ipc:///nonexistent-roc-dir/broker";
    roc::Broker unbindable(bad);
    CHECK_THROWS_WITH_AS(unbindable.start(), doctest::Contains("nonexistent-roc-dir"), roc::Error);
    unbindable.stop();  // returns: nothing was left open
  }
  SUBCASE("stop() before run() makes run() return at once") {
    roc::Broker third(fast_options());
    third.stop();
    third.run();
  }
}

TEST_CASE("the relay forwards publications XSUB → XPUB and subscriptions back") {
  Fixture fx;
  const auto endpoints = fx.broker.endpoints();
  zmq::socket_t sub(fx.context, zmq::socket_type::sub), pub(fx.context, zmq::socket_type::pub);
  for (auto* s : {&sub, &pub}) s->set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, "log.");
  sub.connect(endpoints.subscribe());
  pub.connect(endpoints.publish());

  // Subscriptions travel SUB → XPUB → XSUB → PUB asynchronously: publish until one arrives.
  std::optional<Frames> got;
  const auto deadline = Clock::now() + 5s;
  while (!got && Clock::now() < deadline) {
    pub.send(zmq::str_buffer("status.ignored"), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer("{}"));
    pub.send(zmq::str_buffer("log.info.node1"), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer(R"({"msg":"hello"})"));
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 20ms) > 0) {
      Frames f;
      REQUIRE(zmq::recv_multipart(sub, std::back_inserter(f)));
      got = std::move(f);
    }
  }
  REQUIRE(got);
  REQUIRE(got->size() == 2);
  CHECK(str((*got)[0]) == "log.info.node1");  // the status topic was filtered out upstream
  CHECK(str((*got)[1]) == R"({"msg":"hello"})");
}

TEST_CASE("the relay stamps status updates with sequence numbers and answers snapshot requests") {
  Fixture fx;
  const auto endpoints = fx.broker.endpoints();
  zmq::socket_t sub(fx.context, zmq::socket_type::sub), pub(fx.context, zmq::socket_type::pub);
  for (auto* s : {&sub, &pub}) s->set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, "status.system");
  sub.connect(endpoints.subscribe());
  pub.connect(endpoints.publish());

  auto receive = [&](std::chrono::milliseconds timeout) -> std::optional<Frames> {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    Frames f;
    REQUIRE(zmq::recv_multipart(sub, std::back_inserter(f)));
    return f;
  };

  // Publish until the subscription has made it through; each update carries the next number.
  std::optional<Frames> got;
  const auto deadline = Clock::now() + 5s;
  while (!got && Clock::now() < deadline) {
    pub.send(zmq::str_buffer("status.system.cpu"), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer(R"({"load":0.5})"));
    got = receive(20ms);
  }
  REQUIRE(got);
  REQUIRE(got->size() == 4);  // [topic, body, seq, stamp]
  CHECK(str((*got)[0]) == "status.system.cpu");
  const auto seq = std::stoull(str((*got)[2]));
  CHECK(seq >= 1);

  const auto topic = roc::detail::status::snapshot_request("t1", {"system"});
  sub.set(zmq::sockopt::subscribe, topic);
  std::optional<Frames> snapshot;
  while (!snapshot && Clock::now() < deadline) {
    auto f = receive(100ms);
    if (f && str((*f)[0]) == topic) snapshot = std::move(f);
  }
  REQUIRE(snapshot);
  REQUIRE(snapshot->size() == 4);  // [topic, tree, seq, sources]
  auto tree = json(str((*snapshot)[1]));
  REQUIRE(tree.IsObject());
  CHECK(tree.HasMember("system"));
  CHECK(std::stoull(str((*snapshot)[2])) >= seq);
}

TEST_CASE("a flood of warnings is cut to a burst per window and counted") {
  roc::detail::RateLimitedLog log(3, std::chrono::hours(1));
  for (int i = 0; i < 10; ++i) log.warn("warning {}", i);
  CHECK(log.suppressed_total() == 7);
}

// ---- long calls: progress and cancel (PROTOCOL §2.6) ------------------------------------------

namespace {

const std::string progress_cmd(1, '\x06');
const std::string cancel_cmd(1, '\x07');

// A roc worker for id `service` that takes cancels and reports progress, holding up to `credit`.
std::unique_ptr<Worker> long_call_worker(Fixture& fx, const std::string& service, unsigned credit = 2,
                                         const std::string& features = "attachments cancel progress") {
  auto worker = std::make_unique<Worker>(fx.context, fx.calls());
  worker->send({"", "MDPW01", ready_cmd, service, std::to_string(credit), features});
  REQUIRE(fx.serving(service));
  return worker;
}

// A roc client's request: call header naming the call, maybe asking for progress.
void long_call(Client& client, const std::string& service, int id, bool progress = false) {
  client.send({"", "MDPC01", service,
               "roc/1 timeout-ms=10000 call=" + std::to_string(id) + (progress ? " progress=1" : ""),
               request_body(id, "expose")});
}

void cancel(Client& client, const std::string& service, int id) {
  client.send({"", "MDPC01", service, "roc/1 cancel=" + std::to_string(id)});
}

std::string header_of(const Worker::Request& r) { return r.body.size() > 1 ? str(r.body[0]) : ""; }

}  // namespace

TEST_CASE("a worker with the features gets the call's name, and progress=1 only when its caller asked") {
  Fixture fx;
  Client client(fx.context, fx.calls());
  SUBCASE("a roc worker with cancel and progress") {
    auto worker = long_call_worker(fx, "cam");
    long_call(client, "cam", 7, /*progress=*/true);
    long_call(client, "cam", 8);
    auto asked = worker->request();
    auto unasked = worker->request();
    REQUIRE(asked);
    REQUIRE(unasked);
    CHECK(header_of(*asked).find(" call=7 progress=1") != std::string::npos);
    CHECK(header_of(*unasked).find(" call=8") != std::string::npos);
    CHECK(header_of(*unasked).find("progress") == std::string::npos);
  }
  SUBCASE("a roc worker of an earlier release (credit, attachments) gets neither field") {
    auto worker = long_call_worker(fx, "cam", 2, "attachments");
    long_call(client, "cam", 7, true);
    auto r = worker->request();
    REQUIRE(r);
    CHECK(header_of(*r).find("call=") == std::string::npos);
    CHECK(header_of(*r).find("progress") == std::string::npos);
  }
  SUBCASE("a plain 7/MDP worker gets no header at all") {
    Worker plain(fx.context, fx.calls());
    plain.ready("cam");
    REQUIRE(fx.serving("cam"));
    long_call(client, "cam", 7, true);
    auto r = plain.request();
    REQUIRE(r);
    REQUIRE(r->body.size() == 1);
    CHECK(str(r->body[0]) == request_body(7, "expose"));
  }
}

TEST_CASE("progress reaches its caller as events, in order and before the reply; unasked progress is dropped") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam");
  Client client(fx.context, fx.calls());
  long_call(client, "cam", 7, /*progress=*/true);
  long_call(client, "cam", 8);
  auto asked = worker->request();
  auto unasked = worker->request();
  REQUIRE(asked);
  REQUIRE(unasked);
  for (int i = 1; i <= 3; ++i)
    worker->send({"", "MDPW01", progress_cmd, asked->client, "", "7", R"({"fraction":0.)" + std::to_string(i) + "}"});
  worker->send({"", "MDPW01", progress_cmd, unasked->client, "", "8", R"({"fraction":0.5})"});
  worker->send({"", "MDPW01", progress_cmd, asked->client, "", "99", R"({"fraction":0.5})"});  // no such call
  worker->reply(asked->client, R"({"jsonrpc":"2.0","id":7,"result":1})");
  for (int i = 1; i <= 3; ++i) {
    auto f = client.recv();
    REQUIRE(f);
    REQUIRE(f->size() == 5);
    CHECK(str((*f)[2]) == "cam");
    CHECK(str((*f)[3]) == "roc/1 call=7 event=progress");
    CHECK(str((*f)[4]) == R"({"fraction":0.)" + std::to_string(i) + "}");
  }
  CHECK(client.reply("cam") == R"({"jsonrpc":"2.0","id":7,"result":1})");
  // Progress of an answered call is late: dropped too.
  worker->send({"", "MDPW01", progress_cmd, asked->client, "", "7", R"({"fraction":1})"});
  worker->reply(unasked->client, R"({"jsonrpc":"2.0","id":8,"result":2})");
  CHECK(client.reply("cam") == R"({"jsonrpc":"2.0","id":8,"result":2})");
  CHECK_FALSE(client.recv(100ms));
  const auto stats = fx.broker.stats();
  CHECK(stats.progress == 3);
  CHECK(stats.progress_dropped == 3);
}

TEST_CASE("a cancelled queued call never reaches a worker, and its caller gets -32008 at once") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 1);
  Client client(fx.context, fx.calls());
  long_call(client, "cam", 1);
  long_call(client, "cam", 2);
  auto first = worker->request();
  REQUIRE(first);
  REQUIRE(roc::test::wait_until([&] { return fx.broker.stats().queued == 1; }));
  const auto t0 = Clock::now();
  cancel(client, "cam", 2);
  auto r = client.reply("cam");
  REQUIRE(r);
  CHECK(Clock::now() - t0 < 100ms);
  check_error(*r, roc::error_code::cancelled, 2, "before it ran");
  CHECK(fx.broker.stats().queued == 0);
  worker->reply(first->client, R"({"jsonrpc":"2.0","id":1,"result":1})");
  CHECK(client.reply("cam") == R"({"jsonrpc":"2.0","id":1,"result":1})");
  CHECK_FALSE(worker->request(150ms));  // the cancelled call never comes
  CHECK(fx.broker.stats().cancelled == 1);
}

TEST_CASE("a cancelled running call: -32008 at once, CANCEL to the worker, its late reply dropped, credit back once") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 1);
  Client client(fx.context, fx.calls(), "caller-1");
  long_call(client, "cam", 5, true);
  auto running = worker->request();
  REQUIRE(running);
  const auto t0 = Clock::now();
  cancel(client, "cam", 5);
  auto r = client.reply("cam");
  REQUIRE(r);
  CHECK(Clock::now() - t0 < 100ms);
  check_error(*r, roc::error_code::cancelled, 5, "was told to stop");
  auto told = worker->command();
  REQUIRE(told);
  REQUIRE(told->size() == 6);
  CHECK(str((*told)[2]) == cancel_cmd);
  CHECK(str((*told)[3]) == "caller-1");
  CHECK(str((*told)[4]).empty());
  CHECK(str((*told)[5]) == "5");
  // Progress after the cancel is dropped; so is the worker's answer, which returns its one credit.
  worker->send({"", "MDPW01", progress_cmd, running->client, "", "5", R"({"fraction":0.9})"});
  worker->reply(running->client, R"({"jsonrpc":"2.0","id":5,"error":{"code":-32008,"message":"stopped"}})");
  long_call(client, "cam", 6);
  auto next = worker->request();
  REQUIRE(next);  // the credit came back
  CHECK(str(next->body.back()) == request_body(6, "expose"));
  worker->reply(next->client, R"({"jsonrpc":"2.0","id":6,"result":6})");
  CHECK(client.reply("cam") == R"({"jsonrpc":"2.0","id":6,"result":6})");  // nothing of call 5 in between
  CHECK_FALSE(client.recv(100ms));
  cancel(client, "cam", 5);  // a second cancel of the same call does nothing
  CHECK_FALSE(client.recv(100ms));
  CHECK(fx.broker.stats().cancelled == 1);
}

TEST_CASE("a cancel racing the reply has exactly one outcome") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 1);
  Client client(fx.context, fx.calls());
  long_call(client, "cam", 1);
  auto held = worker->request();
  REQUIRE(held);
  SUBCASE("the reply first: the caller gets the result and the cancel finds nothing") {
    worker->reply(held->client, R"({"jsonrpc":"2.0","id":1,"result":1})");
    CHECK(client.reply("cam") == R"({"jsonrpc":"2.0","id":1,"result":1})");
    cancel(client, "cam", 1);
    CHECK_FALSE(client.recv(150ms));
    CHECK_FALSE(worker->command(50ms));  // no CANCEL for an answered call
    CHECK(fx.broker.stats().cancelled == 0);
  }
  SUBCASE("the cancel first: the caller gets -32008 and the result is dropped") {
    cancel(client, "cam", 1);
    auto r = client.reply("cam");
    REQUIRE(r);
    check_error(*r, roc::error_code::cancelled, 1, "cancelled");
    auto told = worker->command();
    REQUIRE(told);
    CHECK(str((*told)[2]) == cancel_cmd);
    worker->reply(held->client, R"({"jsonrpc":"2.0","id":1,"result":1})");
    CHECK_FALSE(client.recv(150ms));
  }
  // Either way the worker has its credit again.
  long_call(client, "cam", 2);
  CHECK(worker->request());
}

TEST_CASE("a running call of a worker that cannot be told is still answered -32008 at once; its late reply is dropped") {
  Fixture fx;
  Worker plain(fx.context, fx.calls());
  plain.ready("cam");
  REQUIRE(fx.serving("cam"));
  Client client(fx.context, fx.calls());
  long_call(client, "cam", 3);
  auto held = plain.request();
  REQUIRE(held);
  cancel(client, "cam", 3);
  auto r = client.reply("cam");
  REQUIRE(r);
  check_error(*r, roc::error_code::cancelled, 3, "cannot be told to stop");
  CHECK_FALSE(plain.command(100ms));  // a plain worker never sees a CANCEL
  plain.reply(held->client, R"({"jsonrpc":"2.0","id":3,"result":3})");
  CHECK_FALSE(client.recv(150ms));
}

TEST_CASE("a cancelled call whose worker dies costs its caller nothing more") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 2);
  Client client(fx.context, fx.calls());
  long_call(client, "cam", 1);
  long_call(client, "cam", 2);
  REQUIRE(worker->request());
  REQUIRE(worker->request());
  cancel(client, "cam", 1);
  auto r = client.reply("cam");
  REQUIRE(r);
  check_error(*r, roc::error_code::cancelled, 1, "cancelled");
  worker.reset();  // its connection closes
  auto gone = client.reply("cam");
  REQUIRE(gone);
  check_error(*gone, roc::error_code::object_gone, 2, "'cam'");  // only the call not cancelled
  CHECK_FALSE(client.recv(150ms));
}

TEST_CASE("a client whose connection closes has the calls its workers hold cancelled") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 2);
  auto client = std::make_unique<Client>(fx.context, fx.calls(), "leaving");
  long_call(*client, "cam", 4);
  auto held = worker->request();
  REQUIRE(held);
  client.reset();
  auto told = worker->command();
  REQUIRE(told);
  REQUIRE(told->size() == 6);
  CHECK(str((*told)[2]) == cancel_cmd);
  CHECK(str((*told)[5]) == "4");
}

TEST_CASE("a cancel names only its sender's calls: another client's call with the same number runs on") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 1);
  Client owner(fx.context, fx.calls()), other(fx.context, fx.calls());
  long_call(owner, "cam", 1);
  auto held = worker->request();
  REQUIRE(held);
  cancel(other, "cam", 1);
  cancel(other, "nobody", 1);
  cancel(other, "mmi.service", 1);
  CHECK_FALSE(other.recv(150ms));
  CHECK_FALSE(worker->command(50ms));
  worker->reply(held->client, R"({"jsonrpc":"2.0","id":1,"result":1})");
  CHECK(owner.reply("cam") == R"({"jsonrpc":"2.0","id":1,"result":1})");
}

TEST_CASE("malformed long-call messages are dropped: a cancel with a body, a bad call number, PROGRESS to a worker") {
  Fixture fx;
  auto worker = long_call_worker(fx, "cam", 1);
  Client client(fx.context, fx.calls());
  client.send({"", "MDPC01", "cam", "roc/1 cancel=1", request_body(1)});
  client.send({"", "MDPC01", "cam", "roc/1 cancel=0"});
  client.send({"", "MDPC01", "cam", "roc/1 call=x", request_body(1)});
  CHECK(roc::test::wait_until([&] { return fx.broker.stats().dropped == 3; }));
  worker->send({"", "MDPW01", progress_cmd, "somebody", "", "0", "{}"});  // a bad call number
  auto told = worker->command();
  REQUIRE(told);
  CHECK(str((*told)[2]) == disconnect_cmd);  // a registered worker that breaks the protocol goes
}
