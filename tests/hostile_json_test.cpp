// Odd and hostile JSON over real sockets, through a real roc::Broker, to a served object and to an
// id nobody serves: every reply is strict JSON and JSON-RPC 2.0, nesting is refused at 256 levels
// (bodies and status updates), plain 7/MDP callers get the routing error for a body that is not
// JSON, and the broker and the server keep answering afterwards.
#include "support/raw_peers.hpp"
#include "support/temp_dir.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>

#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <zmq_addon.hpp>

#include <chrono>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
using roc::test::MdpPeer;

using roc::test::fast_server;

namespace {

roc::BrokerOptions fast_broker() {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = 100ms;
  options.unknown_object_grace = 100ms;
  return options;
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A strict parse of a reply, independent of roc's reader: UTF-8 checked, the whole text one value.
std::optional<rapidjson::Document> strict(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) return std::nullopt;
  return doc;
}

bool only_members(const rapidjson::Value& object, const std::set<std::string>& allowed) {
  for (const auto& m : object.GetObject())
    if (!allowed.count(std::string(m.name.GetString(), m.name.GetStringLength()))) return false;
  return true;
}

// One JSON-RPC 2.0 response object, as the specification wants it.
void check_response(const rapidjson::Value& r) {
  REQUIRE(r.IsObject());
  CHECK(only_members(r, {"jsonrpc", "id", "result", "error"}));
  REQUIRE(r.HasMember("jsonrpc"));
  CHECK(r["jsonrpc"] == "2.0");
  REQUIRE(r.HasMember("id"));
  const auto& id = r["id"];
  CHECK((id.IsString() || id.IsInt64() || id.IsUint64() || id.IsNull()));
  CHECK(r.HasMember("result") != r.HasMember("error"));
  if (r.HasMember("error")) {
    const auto& e = r["error"];
    REQUIRE(e.IsObject());
    CHECK(only_members(e, {"code", "message", "data"}));
    REQUIRE(e.HasMember("code"));
    CHECK(e["code"].IsInt());
    REQUIRE(e.HasMember("message"));
    CHECK(e["message"].IsString());
  }
}

// A reply body: empty only for a body of notifications; otherwise one response or a batch of them.
void check_reply(const std::string& reply, bool notifications_only) {
  if (reply.empty()) {
    CHECK_MESSAGE(notifications_only, "an empty reply to a body that needs an answer");
    return;
  }
  CHECK_FALSE(notifications_only);
  auto doc = strict(reply);
  REQUIRE_MESSAGE(doc, "the reply is not strict JSON: " << reply.substr(0, 300));
  if (doc->IsArray()) {
    CHECK_FALSE(doc->Empty());
    for (const auto& r : doc->GetArray()) check_response(r);
  } else {
    check_response(*doc);
  }
}

struct Case {
  std::string name;
  std::string body;
  bool notifications_only = false;
};

std::string request(const std::string& id, const std::string& method = "tag", const std::string& params = "") {
  return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + '"' +
         (params.empty() ? "" : R"(,"params":)" + params) + "}";
}

std::vector<Case> corpus() {
  std::vector<Case> c = {
      {"huge exponent id", request("100000000000000000000e300")},
      {"infinite id", request("-100000000000000000000e300")},
      {"id too big for a double", request("1e400")},
      {"negative zero id", request("-0")},
      {"id 1.0", request("1.0")},
      {"id 1e2", request("1e2")},
      {"fractional id", request("0.5")},
      {"id beyond 64 bits", request("18446744073709551616")},
      {"largest uint64 id", request("18446744073709551615")},
      {"object id", request(R"({"a":1})")},
      {"array id", request("[1,2]")},
      {"bool id", request("true")},
      {"null id", request("null")},
      {"string id with escapes", request(R"("\u00e9\ud83d\ude00\n")", R"(t\u0061g)")},
      {"lone high surrogate", request(R"("\ud800")")},
      {"lone low surrogate id", request(R"("\udc00")")},
      {"lone low surrogate method", request("1", R"(\udc00)")},
      {"NUL escape in a method", request("2", R"(tag\u0000x)")},
      {"raw NUL byte", std::string(R"({"jsonrpc":"2.0","id":3,)") + std::string(1, '\0') + R"("method":"tag"})"},
      {"raw control character in a string", request("\"a\tb\"")},
      {"not UTF-8", request("4", "\xff\xfe")},
      {"byte-order mark", "\xef\xbb\xbf" + request("5")},
      {"trailing garbage", request("6") + " xyz"},
      {"two values", request("7") + request("8")},
      {"empty body", ""},
      {"whitespace only", " \n\t\r "},
      {"scalar body", "42"},
      {"string body", R"("tag")"},
      {"not JSON at all", "hello, broker"},
      {"deep id", request(nested(300))},
      {"deep 100k", nested(100000)},
      {"deep 1M unclosed", std::string(1000000, '[')},
      {"legal at 256 levels", request("9", "echo_vector", nested(255))},
      {"257 levels", request("10", "echo_vector", nested(256))},
      {"duplicate keys", R"({"jsonrpc":"2.0","id":11,"id":12,"method":"tag","method":"nope"})"},
      {"very long method", request("13", std::string(1 << 20, 'm'))},
      {"very long string param", request("14", "echo_string", "[\"" + std::string(1 << 20, 's') + "\"]")},
      {"infinite double param", request("15", "echo_double", "[100000000000000000000e300]")},
      {"infinities in an array", request("16", "echo_vector", R"([1e30000,"-Infinity","NaN",2])")},
      {"infinities as results", request("17", "echo_vector", R"([100000000000000000000e300,"-Infinity","NaN",2])")},
      {"empty batch", "[]"},
      {"batch of scalars", "[1,\"x\",null,[],{}]"},
      {"notifications only", R"([{"jsonrpc":"2.0","method":"tag"},{"jsonrpc":"2.0","method":"nope"}])", true},
  };
  // A batch mixing everything above that is JSON, plus a notification.
  std::string batch = "[";
  for (const auto& entry : c) {
    if (!strict(entry.body) || entry.body.size() > 100000) continue;
    batch += entry.body + ",";
  }
  batch += R"({"jsonrpc":"2.0","method":"bump"}])";
  c.push_back({"batch mixing all of these", batch});
  return c;
}

/// A broker, a server publishing a Device as "dev", and a plain 7/MDP client.
struct Rig {
  Rig() : broker(fast_broker()) {
    broker.start();
    endpoints = broker.endpoints();
    server = std::make_unique<roc::Server>(endpoints, fast_server());
    server->publish("dev", device);
    server->start();
    client = std::make_unique<roc::Client>(endpoints);
    REQUIRE(roc::test::wait_until([&] { return client->exists("dev"); }));
  }
  ~Rig() {
    client.reset();
    server.reset();
    broker.stop();
  }
  /// A normal call still works, through the typed client.
  void still_answers() { CHECK(client->object("dev").call<int>("add", 2, 3) == 5); }

  roc::Broker broker;
  roc::Endpoints endpoints;
  testing_lab::Device device;
  std::unique_ptr<roc::Server> server;
  std::unique_ptr<roc::Client> client;
  zmq::context_t context;
};

const std::string sentinel = R"({"jsonrpc":"2.0","id":"sentinel","method":"rpc.ping"})";

bool is_sentinel(const std::string& reply) {
  auto doc = strict(reply);
  return doc && doc->IsObject() && doc->HasMember("id") && (*doc)["id"] == "sentinel";
}

// Sends each case to `service` followed by a sentinel request, and checks what came back before
// the sentinel's answer: one valid reply, or (notifications only) an empty one or none.
void run_corpus(MdpPeer& peer, const std::string& service) {
  for (const auto& entry : corpus()) {
    CAPTURE(entry.name);
    peer.call(service, entry.body);
    peer.call(service, sentinel);
    std::vector<std::string> replies;
    for (;;) {
      auto reply = peer.reply(10s, service);
      REQUIRE_MESSAGE(reply, "no answer from '" << service << "'");
      if (is_sentinel(*reply)) break;
      replies.push_back(std::move(*reply));
    }
    if (entry.notifications_only) {
      CHECK(replies.size() <= 1);
      for (const auto& r : replies) check_reply(r, true);
    } else {
      REQUIRE(replies.size() == 1);
      check_reply(replies[0], false);
    }
  }
}

// The error object of a single reply, checked for code and for a null id.
rapidjson::Document single_error(const std::optional<std::string>& reply, int code) {
  REQUIRE(reply);
  auto doc = strict(*reply);
  REQUIRE_MESSAGE(doc, *reply);
  check_response(*doc);
  CHECK((*doc)["id"].IsNull());
  REQUIRE(doc->HasMember("error"));
  CHECK((*doc)["error"]["code"] == code);
  return std::move(*doc);
}

std::string message_of(const rapidjson::Document& doc) { return doc["error"]["message"].GetString(); }

}  // namespace

TEST_CASE("every reply to odd or hostile JSON is strict JSON and JSON-RPC 2.0, from a server and from the broker") {
  Rig rig;
  MdpPeer peer(rig.context, rig.endpoints.calls());
  SUBCASE("to a served object") { run_corpus(peer, "dev"); }
  SUBCASE("to an object nobody serves") { run_corpus(peer, "nobody"); }
  rig.still_answers();
}

TEST_CASE("the answers that matter: refused ids, the nesting limit, infinities as strings") {
  Rig rig;
  MdpPeer peer(rig.context, rig.endpoints.calls());
  using namespace roc::error_code;

  peer.call("dev", request("100000000000000000000e300"));
  auto refused = single_error(peer.reply(10s, "dev"), invalid_request);
  CHECK(message_of(refused).find("'id' must be a string, an integer") != std::string::npos);

  peer.call("dev", nested(1000000));  // 2 MB, a million levels
  auto deep = single_error(peer.reply(10s, "dev"), parse_error);
  CHECK(message_of(deep).find("nested deeper than 256 levels") != std::string::npos);

  peer.call("dev", request("1", "echo_double", "[100000000000000000000e300]"));
  auto infinite = strict(*peer.reply(10s, "dev"));
  REQUIRE(infinite);
  CHECK((*infinite)["result"] == "Infinity");
  CHECK(rig.client->object("dev").call<double>("echo_double", -std::numeric_limits<double>::infinity()) ==
        -std::numeric_limits<double>::infinity());

  peer.call("nobody", nested(1000000));
  auto unknown_deep = single_error(peer.reply(10s, "nobody"), object_not_found);
  CHECK(message_of(unknown_deep).find("no object 'nobody' is registered") != std::string::npos);
  CHECK(message_of(unknown_deep).find("nested deeper than 256 levels") != std::string::npos);
  rig.still_answers();
}

TEST_CASE("a plain 7/MDP caller sending a body that is not JSON gets the routing error, not -32700") {
  Rig rig;
  MdpPeer peer(rig.context, rig.endpoints.calls());
  using namespace roc::error_code;
  SUBCASE("an id nobody serves: -32001") {
    peer.call("nobody", "this is not JSON");
    auto e = single_error(peer.reply(10s, "nobody"), object_not_found);
    CHECK(message_of(e).rfind(
              "no object 'nobody' is registered with the broker (and the request body cannot be read: invalid "
              "JSON at offset ",
              0) == 0);
  }
  SUBCASE("a worker that goes away holding it: -32002") {
    MdpPeer worker(rig.context, rig.endpoints.calls());
    worker.send({"", "MDPW01", std::string(1, '\x01'), "held"});
    REQUIRE(roc::test::wait_until([&] { return rig.broker.workers().count("held") == 1; }));
    peer.call("held", "{not JSON");
    for (;;) {  // heartbeats may come first
      auto f = worker.recv(5s);
      REQUIRE(f);
      REQUIRE(f->size() >= 3);
      if ((*f)[2].to_string() == std::string(1, '\x02')) break;
    }
    worker.send({"", "MDPW01", std::string(1, '\x05')});  // DISCONNECT while holding the call
    auto e = single_error(peer.reply(10s, "held"), object_gone);
    CHECK(message_of(e).find("object 'held' went away") != std::string::npos);
    CHECK(message_of(e).find("(and the request body cannot be read: invalid JSON at offset") != std::string::npos);
  }
  rig.still_answers();
}

TEST_CASE("an oversized body nested too deep gets the broker's -32600 naming both") {
  auto options = fast_broker();
  options.max_request_bytes = 1 << 20;
  roc::Broker broker(options);
  broker.start();
  zmq::context_t context;
  MdpPeer peer(context, broker.endpoints().calls());
  peer.call("anything", nested(1000000));
  auto e = single_error(peer.reply(10s, "anything"), roc::error_code::invalid_request);
  CHECK(message_of(e).find("over the broker's limit of 1048576 bytes") != std::string::npos);
  CHECK(message_of(e).find("nested deeper than 256 levels") != std::string::npos);
  peer.call("anything", "[" + request("100000000000000000000e300", "a", "[\"" + std::string(1 << 20, 'x') + "\"]") +
                            "," + request("\"ok\"", "a", "[\"" + std::string(1 << 20, 'x') + "\"]") + "]");
  auto batch = strict(*peer.reply(10s, "anything"));
  REQUIRE(batch);
  REQUIRE(batch->IsArray());
  REQUIRE(batch->Size() == 2);
  CHECK((*batch)[0]["id"].IsNull());
  CHECK((*batch)[1]["id"] == "ok");
  broker.stop();
}

TEST_CASE("status updates too deep or unreadable are dropped and counted; the broker keeps serving") {
  Rig rig;
  zmq::socket_t publisher(rig.context, zmq::socket_type::pub);
  publisher.set(zmq::sockopt::linger, 0);
  publisher.connect(rig.endpoints.publish());
  std::string long_path = "status.a";
  for (int i = 0; i < 100000; ++i) long_path += ".a";
  const std::string deep_body = nested(100000);  // 200 KB
  REQUIRE(deep_body.size() == 200000);
  // A PUB drops what it sends before the connection is up: send until the broker has counted.
  REQUIRE(roc::test::wait_until(
      [&] {
        std::vector<std::pair<std::string, std::string>> messages = {
            {"status.deep", deep_body}, {long_path, "{}"}, {"status.bad", "not json"}};
        for (const auto& [topic, body] : messages) {
          std::vector<zmq::const_buffer> frames{zmq::buffer(topic), zmq::buffer(body)};
          zmq::send_multipart(publisher, frames);
        }
        std::this_thread::sleep_for(10ms);
        return rig.broker.stats().status_dropped >= 3;
      },
      10s));
  // Each round drops three; the last round may still be on its way in.
  CHECK(roc::test::wait_until([&] { return rig.broker.stats().status_dropped % 3 == 0; }, 5s));
  rig.still_answers();
  // The cache still takes and serves good updates.
  roc::StatusSubscription subscription(rig.endpoints, {"good"}, 100ms);
  std::vector<zmq::const_buffer> good{zmq::buffer(std::string_view("status.good")), zmq::buffer(std::string_view(R"({"v":1})"))};
  bool seen = roc::test::wait_until(
      [&] {
        zmq::send_multipart(publisher, good);
        auto u = subscription.next(20ms);
        return u && u.value.value().IsObject() && u.value.value().HasMember("v");
      },
      10s);
  CHECK(seen);
}

TEST_CASE("a subscriber drops and counts updates it cannot read, and keeps reading") {
  const std::string path = roc::test::temp_root() + "/roc-hostile-" + std::to_string(::getpid());
  zmq::context_t context;
  zmq::socket_t publisher(context, zmq::socket_type::pub);
  publisher.set(zmq::sockopt::linger, 0);
  publisher.bind("ipc://" + path + ".sub");  // where a subscriber to ipc://<path> connects
  roc::StatusSubscription subscription(roc::Endpoints("ipc://" + path), {}, 50ms, /*want_snapshot=*/false);
  const std::string deep_body = nested(100000);
  std::vector<zmq::const_buffer> deep{zmq::buffer(std::string_view("status.x")), zmq::buffer(deep_body)};
  CHECK(roc::test::wait_until(
      [&] {
        zmq::send_multipart(publisher, deep);
        CHECK_FALSE(subscription.next(10ms));
        return subscription.dropped() >= 1;
      },
      10s));
  std::vector<zmq::const_buffer> good{zmq::buffer(std::string_view("status.x")), zmq::buffer(std::string_view("[1]"))};
  CHECK(roc::test::wait_until(
      [&] {
        zmq::send_multipart(publisher, good);
        auto u = subscription.next(10ms);
        return u && u.path == "x";
      },
      10s));
  publisher.close();
  ::unlink((path + ".sub").c_str());  // libzmq removes it on close; this is for a crash in between
}
