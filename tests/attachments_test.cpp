// Binary attachments (idl/PROTOCOL.md §3.3) end to end over TCP on 127.0.0.1: every value that may
// travel as an attachment, in both directions, nested and batched; the plain JSON that peers who
// did not ask get; peers that read no attachments; and references a hostile peer gets wrong.
#include "server/dispatcher.hpp"
#include "support/imager.hpp"
#include "support/raw_peers.hpp"
#include "support/test_support.hpp"
#include "wire/mdp.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <zmq.hpp>

#include <cstring>
#include <numeric>

using namespace std::chrono_literals;
namespace mdp = roc::detail::mdp;

namespace {

using imaging::Imager;
using imaging::Tile;
using imaging::imager_binding;

/// A broker, a server publishing an Imager as "cam" and a client; `min_bytes` is both sides'
/// attachment threshold (0: every bulk value goes as an attachment).
struct Rig {
  explicit Rig(std::size_t min_bytes) {
    roc::BrokerOptions options;
    options.bind = "127.0.0.1:0";
    options.heartbeat_interval = 100ms;
    broker = std::make_unique<roc::Broker>(options);
    broker->start();
    auto server_options = roc::test::fast_server();
    server_options.attachment_min_bytes = min_bytes;
    server = std::make_unique<roc::Server>(broker->endpoints(), server_options);
    server->publish("cam", imager, imager_binding());
    server->start();
    roc::ClientOptions client_options;
    client_options.timeout = 20s;
    client_options.attachment_min_bytes = min_bytes;
    client = std::make_unique<roc::Client>(broker->endpoints(), client_options);
    REQUIRE(roc::test::wait_until([&] { return client->exists("cam"); }));
  }
  roc::ObjectHandle cam() const { return client->object("cam"); }

  std::unique_ptr<roc::Broker> broker;
  Imager imager;
  std::unique_ptr<roc::Server> server;
  std::unique_ptr<roc::Client> client;
};

template <class T>
std::vector<T> ramp(std::size_t n) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(i * 2654435761u);
  return v;
}

Tile tile(std::size_t n) {
  // Rows of n: nested JSON arrays cannot spell a shape whose outer dimension is 0 ({0, 3} is []).
  return Tile{"t" + std::to_string(n), ramp<float>(n), roc::NdArray<std::int32_t>({3, n}, ramp<std::int32_t>(3 * n))};
}

void check_round_trips(const roc::ObjectHandle& cam) {
  for (std::size_t n : {0u, 1u, 3u, 1001u}) {
    CAPTURE(n);
    const auto v = ramp<std::uint16_t>(n);
    CHECK(cam.call<std::vector<std::uint16_t>>("echo_u16", v) == v);
    CHECK(cam.call<std::vector<std::int64_t>>("echo_i64", ramp<std::int64_t>(n)) == ramp<std::int64_t>(n));
    const roc::Bytes bytes(ramp<std::uint8_t>(n));
    CHECK(cam.call<roc::Bytes>("echo_bytes", bytes) == bytes);
    const roc::NdArray<std::uint16_t> image({3, n}, ramp<std::uint16_t>(3 * n));
    CHECK(cam.call<roc::NdArray<std::uint16_t>>("echo_image", image) == image);
    CHECK(cam.call<Tile>("echo_tile", tile(n)) == tile(n));
    CHECK(cam.call<std::vector<Tile>>("echo_tiles", std::vector<Tile>{tile(n), tile(n + 1)}) ==
          std::vector<Tile>{tile(n), tile(n + 1)});
    const auto bytes_to_sum = ramp<std::uint8_t>(n);
    CHECK(cam.call<std::uint64_t>("sum", bytes_to_sum) ==
          std::accumulate(bytes_to_sum.begin(), bytes_to_sum.end(), std::uint64_t{0}));
  }
  const std::array<double, 5> five{1.5, -2, 1e300, 0, 7};
  CHECK(cam.call<std::array<double, 5>>("echo_array", five) == five);
  const auto frame = cam.call<std::vector<std::uint16_t>>("frame", 4097);
  REQUIRE(frame.size() == 4097);
  CHECK(frame[4096] == static_cast<std::uint16_t>(4096 + 7));
  // A dynamic result outlives the reply's frames: its bulk values arrive as plain JSON arrays.
  const auto dynamic = cam.call("frame", 600);
  REQUIRE(dynamic.value().IsArray());
  CHECK(dynamic.value().Size() == 600);
  CHECK(dynamic.as<std::vector<std::uint16_t>>() == cam.call<std::vector<std::uint16_t>>("frame", 600));
  cam.set("waveform", ramp<double>(300));
  CHECK(cam.get<std::vector<double>>("waveform") == ramp<double>(300));
  CHECK(cam.call<std::vector<std::uint16_t>>("echo_u16", std::vector<std::uint16_t>{}).empty());
}

}  // namespace

TEST_CASE("every value that may be an attachment round-trips as one, in both directions") {
  Rig rig(0);
  check_round_trips(rig.cam());
}

TEST_CASE("rpc.describe names the bulk types as the IDL spells them") {
  Rig rig(0);
  const auto idl = rig.cam().describe().dump();
  CHECK(idl.find(R"("type":"bytes")") != std::string::npos);
  CHECK(idl.find(R"("type":"ndarray<uint16>")") != std::string::npos);
  CHECK(idl.find(R"("returns":"array<uint16>")") != std::string::npos);
}

TEST_CASE("the same values round-trip with the default threshold, small ones as JSON") {
  Rig rig(roc::ClientOptions{}.attachment_min_bytes);
  check_round_trips(rig.cam());
}

TEST_CASE("16 MiB values travel as attachments in both directions") {
  Rig rig(roc::ClientOptions{}.attachment_min_bytes);
  auto cam = rig.cam();
  const auto big = ramp<std::uint16_t>(8u << 20);
  CHECK(cam.call<std::vector<std::uint16_t>>("echo_u16", big) == big);
  const roc::NdArray<std::uint16_t> image({2048, 4096}, big);
  const auto back = cam.call<roc::NdArray<std::uint16_t>>("echo_image", image);
  CHECK(back.shape() == image.shape());
  CHECK(back == image);
  CHECK(cam.call<std::vector<std::uint16_t>>("frame", 8u << 20).size() == (8u << 20));
}

TEST_CASE("a caller that did not ask for attachments gets plain JSON") {
  Rig rig(0);
  auto cam = rig.cam();
  SUBCASE("call_json: arrays, nested arrays and base64") {
    auto frame = cam.call_json("frame", roc::Json::parse("[3]"));
    CHECK(frame.dump() == "[7,8,9]");
    auto image = cam.call_json("echo_image", roc::Json::parse("[[[1,2],[3,4],[5,6]]]"));
    CHECK(image.dump() == "[[1,2],[3,4],[5,6]]");
    auto bytes = cam.call_json("echo_bytes", roc::Json::parse(R"(["aGVsbG8="])"));
    CHECK(bytes.dump() == R"("aGVsbG8=")");
  }
  SUBCASE("a plain 7/MDP client without roc's call header") {
    zmq::context_t context;
    roc::test::MdpPeer peer(context, rig.broker->endpoints().calls());
    peer.call("cam", R"({"jsonrpc":"2.0","id":1,"method":"frame","params":[2]})");
    auto frames = peer.recv(5s);
    REQUIRE(frames);
    REQUIRE(frames->size() == 4);  // "", MDPC01, cam, body: no attachment frame
    CHECK(frames->back().to_string() == R"({"jsonrpc":"2.0","id":1,"result":[7,8]})");
  }
}

namespace {

std::string text(const zmq::message_t& m) { return m.to_string(); }

/// Sends a request with roc's call header asking for attachments, the body and `attachments`;
/// returns the reply's body frames.
mdp::Frames raw_call(roc::test::MdpPeer& peer, const std::string& body, const std::vector<std::string>& attachments) {
  std::vector<std::string> parts{"", "MDPC01", "cam", "roc/1 timeout-ms=5000 attach=1", body};
  parts.insert(parts.end(), attachments.begin(), attachments.end());
  peer.send(parts);
  auto frames = peer.recv(5s * roc::test::sanitizer_slowdown);
  REQUIRE(frames);
  auto decoded = mdp::decode_at_client(*frames);
  REQUIRE(decoded);
  return std::move(decoded.message->body);
}

std::string u16_bytes(std::initializer_list<std::uint16_t> values) {
  std::string bytes(values.size() * 2, '\0');
  std::memcpy(bytes.data(), std::data(values), bytes.size());
  return bytes;
}

}  // namespace

TEST_CASE("on the wire, a bulk value is a frame after the body and a reference in its place") {
  Rig rig(0);
  zmq::context_t context;
  roc::test::MdpPeer peer(context, rig.broker->endpoints().calls());
  SUBCASE("a result") {
    auto body = raw_call(peer, R"({"jsonrpc":"2.0","id":1,"method":"frame","params":[3]})", {});
    REQUIRE(body.size() == 2);
    CHECK(text(body[0]) ==
          R"({"jsonrpc":"2.0","id":1,"result":{"$attachment":0,"type":"uint16","order":"little","shape":[3]}})");
    CHECK(text(body[1]) == u16_bytes({7, 8, 9}));
  }
  SUBCASE("a batch numbers the attachments of all its responses together") {
    const std::string ref0 = R"({"$attachment":0,"type":"uint16","order":"little","shape":[2]})";
    const std::string ref1 = R"({"$attachment":1,"type":"uint8","order":"little","shape":[3]})";
    auto body = raw_call(peer,
                         R"([{"jsonrpc":"2.0","id":1,"method":"echo_u16","params":[)" + ref0 +
                             R"(]},{"jsonrpc":"2.0","id":2,"method":"echo_bytes","params":[)" + ref1 + "]}]",
                         {u16_bytes({1, 2}), "abc"});
    REQUIRE(body.size() == 3);
    CHECK(text(body[0]) == R"([{"jsonrpc":"2.0","id":1,"result":)" + ref0 + R"(},{"jsonrpc":"2.0","id":2,"result":)" +
                               ref1 + "}]");
    CHECK(text(body[1]) == u16_bytes({1, 2}));
    CHECK(text(body[2]) == "abc");
  }
  SUBCASE("big-endian elements are read in their order") {
    const std::string big_endian("\x01\x02\x03\x04", 4);
    auto body = raw_call(
        peer,
        R"({"jsonrpc":"2.0","id":1,"method":"echo_u16","params":[{"$attachment":0,"type":"uint16","order":"big","shape":[2]}]})",
        {big_endian});
    REQUIRE(body.size() == 2);
    CHECK(text(body[1]) == u16_bytes({0x0102, 0x0304}));
  }
}

TEST_CASE("references that do not fit their attachments are refused, naming the problem") {
  Rig rig(0);
  zmq::context_t context;
  roc::test::MdpPeer peer(context, rig.broker->endpoints().calls());
  auto ask = [&](const std::string& reference, const std::vector<std::string>& attachments) {
    auto body = raw_call(peer, R"({"jsonrpc":"2.0","id":9,"method":"echo_u16","params":[)" + reference + "]}",
                         attachments);
    CHECK(body.size() == 1);  // an error carries no attachments
    return roc::Json::parse(text(body[0]));
  };
  auto error_of = [](const roc::Json& reply) {
    const auto& e = reply.value()["error"];
    return std::make_pair(e["code"].GetInt(), std::string(e["message"].GetString()));
  };
  const std::string two = u16_bytes({1, 2});
  SUBCASE("an index out of range, and no frames at all") {
    auto [code, message] = error_of(ask(R"({"$attachment":3,"type":"uint16","order":"little","shape":[2]})", {two}));
    CHECK(code == roc::error_code::invalid_params);
    CHECK(message.find("parameter 'v' of 'echo_u16'") != std::string::npos);
    CHECK(message.find("a reference to attachment 3, but the message carries 1") != std::string::npos);
    std::tie(code, message) = error_of(ask(R"({"$attachment":0,"type":"uint16","order":"little","shape":[2]})", {}));
    CHECK(code == roc::error_code::invalid_params);
    CHECK(message.find("carries 0") != std::string::npos);
  }
  SUBCASE("a size that is not the element type times the shape") {
    auto [code, message] =
        error_of(ask(R"({"$attachment":0,"type":"uint16","order":"little","shape":[3]})", {two}));
    CHECK(code == roc::error_code::invalid_params);
    CHECK(message.find("an attachment of 4 bytes, which is not shape [3] of uint16 elements") != std::string::npos);
    std::tie(code, message) =
        error_of(ask(R"({"$attachment":0,"type":"uint16","order":"little","shape":[4294967296,4294967297]})", {two}));
    CHECK(code == roc::error_code::invalid_params);
  }
  SUBCASE("another element type, two dimensions for a flat array, a bad order") {
    auto [code, message] = error_of(ask(R"({"$attachment":0,"type":"int32","order":"little","shape":[1]})", {two}));
    CHECK(code == roc::error_code::invalid_params);
    CHECK(message.find("an attachment of int32 elements") != std::string::npos);
    std::tie(code, message) = error_of(ask(R"({"$attachment":0,"type":"uint16","order":"little","shape":[1,2]})", {two}));
    CHECK(message.find("2 dimensions") != std::string::npos);
    std::tie(code, message) = error_of(ask(R"({"$attachment":0,"type":"uint16","order":"middle","shape":[2]})", {two}));
    CHECK(message.find("'order'") != std::string::npos);
    std::tie(code, message) = error_of(ask(R"({"$attachment":-1,"type":"uint16","order":"little","shape":[2]})", {two}));
    CHECK(message.find("index is not a whole number") != std::string::npos);
  }
  SUBCASE("frames no reference names") {
    auto [code, message] =
        error_of(ask(R"({"$attachment":0,"type":"uint16","order":"little","shape":[2]})", {two, "extra"}));
    CHECK(code == roc::error_code::invalid_request);
    CHECK(message.find("carries 2 attachments but no reference names attachment 1") != std::string::npos);
  }
  rig.cam().ping();  // the worker lives on
}

TEST_CASE("a worker that reads no attachments gets their values as JSON from the broker") {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  zmq::context_t context;
  roc::ClientOptions client_options;
  client_options.attachment_min_bytes = 0;
  roc::Client client(broker.endpoints(), client_options);
  // A plain 7/MDP worker (no credit frame) and a roc worker of an older release (credit, no features).
  for (const std::vector<std::string>& ready :
       {std::vector<std::string>{"", "MDPW01", "\x01", "cam"}, std::vector<std::string>{"", "MDPW01", "\x01", "cam", "4"}}) {
    CAPTURE(ready.size());
    roc::test::MdpPeer worker(context, broker.endpoints().calls());
    worker.send(ready);
    REQUIRE(roc::test::wait_until([&] { return client.exists("cam"); }));
    auto reply = std::async(std::launch::async, [&] {
      return client.object("cam").call<std::vector<std::uint16_t>>("echo_u16", std::vector<std::uint16_t>{5, 6});
    });
    auto request = worker.recv(5s);
    REQUIRE(request);
    auto decoded = mdp::decode_at_worker(*request);
    REQUIRE(decoded);
    REQUIRE(decoded.message->body.size() == 1);  // no attachment frames
    auto body = roc::Json::parse(text(decoded.message->body[0]));
    CHECK(roc::json::to_string(body.value()["params"]) == "[[5,6]]");
    const auto id = roc::json::to_string(body.value()["id"]);
    worker.send({"", "MDPW01", "\x03", text(decoded.message->client), "",
                 R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":[5,6]})"});
    CHECK(reply.get() == std::vector<std::uint16_t>{5, 6});
    worker.send({"", "MDPW01", "\x05"});
    REQUIRE(roc::test::wait_until([&] { return !client.exists("cam"); }));
  }
}

TEST_CASE("a reply whose reference does not fit its frame is a ProtocolError, not a crash") {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  zmq::context_t context;
  roc::test::MdpPeer worker(context, broker.endpoints().calls());
  worker.send({"", "MDPW01", "\x01", "cam", "4", "attachments"});
  roc::Client client(broker.endpoints());
  REQUIRE(roc::test::wait_until([&] { return client.exists("cam"); }));
  auto reply = std::async(std::launch::async, [&] { return client.object("cam").call<std::vector<std::uint16_t>>("frame", 2); });
  auto request = worker.recv(5s);
  REQUIRE(request);
  auto decoded = mdp::decode_at_worker(*request);
  REQUIRE(decoded);
  REQUIRE(decoded.message->header);
  CHECK(decoded.message->header->attachments);  // the typed call asked for them
  const auto id = roc::json::to_string(roc::Json::parse(text(decoded.message->body[0])).value()["id"]);
  worker.send({"", "MDPW01", "\x03", text(decoded.message->client), "",
               R"({"jsonrpc":"2.0","id":)" + id +
                   R"(,"result":{"$attachment":0,"type":"uint16","order":"little","shape":[3]}})",
               "four"});
  CHECK_THROWS_WITH_AS(reply.get(), doctest::Contains("an attachment of 4 bytes, which is not shape [3]"),
                       roc::ProtocolError);
}

TEST_CASE("the broker bounds what writing attachments out as JSON may cost") {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.max_request_bytes = 1 << 20;  // so at most 65536 elements (16 bytes each as JSON values)
  roc::Broker broker(options);
  broker.start();
  zmq::context_t context;
  roc::test::MdpPeer worker(context, broker.endpoints().calls());
  worker.send({"", "MDPW01", "\x01", "cam", "4"});
  roc::Client client(broker.endpoints());
  REQUIRE(roc::test::wait_until([&] { return client.exists("cam"); }));
  try {
    client.object("cam").call("echo_u16", std::vector<std::uint16_t>(100000));
    FAIL("no error");
  } catch (const roc::RemoteError& e) {
    CHECK(e.code() == roc::error_code::invalid_params);
    CHECK_MESSAGE(std::string(e.what()).find("at most 65536 elements") != std::string::npos, e.what());
  }
  CHECK_FALSE(worker.recv(100ms));  // it never saw the request
}

TEST_CASE("a result vector goes into its frame without a copy; values inside structs are copied once") {
  Imager imager;
  roc::detail::Dispatcher dispatcher("cam", imager_binding().table(), &imager);
  roc::detail::AttachmentSink sink(0);
  auto reply = dispatcher.handle(R"([{"jsonrpc":"2.0","id":1,"method":"frame","params":[5]},
                                     {"jsonrpc":"2.0","id":2,"method":"echo_tile","params":[{"name":"a","samples":[1,2],"image":[[1]]}]}])",
                                 nullptr, &sink);
  REQUIRE(sink.size() == 3);
  // The returned vector itself, kept alive by the frame: its owner holds exactly that vector.
  auto* returned = static_cast<const std::vector<std::uint16_t>*>(sink.items()[0].owner.get());
  CHECK(returned->data() == sink.items()[0].data);
  CHECK((*returned)[4] == 11);
  CHECK(sink.items()[1].owner != nullptr);  // Tile::samples: copied at once, the copy owned
  CHECK(sink.items()[1].data != nullptr);
  CHECK(sink.items()[2].owner != nullptr);  // an NdArray shares its own storage
  CHECK(reply.find(R"("samples":{"$attachment":1)") != std::string::npos);
}

TEST_CASE("a received NdArray views its frame, and a Bytes too") {
  Rig rig(0);
  auto cam = rig.cam();
  const roc::NdArray<std::uint16_t> image({4, 4}, ramp<std::uint16_t>(16));
  auto back = cam.call<roc::NdArray<std::uint16_t>>("echo_image", image);
  CHECK(back == image);
  CHECK(back.data() != image.data());
  auto copy = back;
  copy(1, 2) = 999;  // copies share their elements, like cv::Mat
  CHECK(back(1, 2) == 999);
  CHECK(back.clone() == back);
  CHECK(back.clone().data() != back.data());
}

TEST_CASE("the JSON forms: base64 bytes, rectangular nested arrays, references written back as JSON") {
  using roc::Json;
  CHECK(Json::parse(R"("AAEC/w==")").as<roc::Bytes>() == roc::Bytes(std::vector<std::uint8_t>{0, 1, 2, 255}));
  CHECK(Json::parse("[0,1,255]").as<roc::Bytes>() == roc::Bytes(std::vector<std::uint8_t>{0, 1, 255}));
  CHECK_THROWS_WITH_AS(Json::parse(R"("AA=A")").as<roc::Bytes>(), doctest::Contains("not base64"),
                       roc::json::DecodeError);
  CHECK_THROWS_WITH_AS(Json::parse(R"("abc")").as<roc::Bytes>(), doctest::Contains("multiple of 4"),
                       roc::json::DecodeError);
  for (std::size_t n = 0; n < 8; ++n) {
    roc::Bytes bytes(ramp<std::uint8_t>(n));
    roc::Json encoded;
    roc::json::encode(bytes, encoded.value(), encoded.allocator());
    CHECK(encoded.as<roc::Bytes>() == bytes);
  }
  auto image = Json::parse("[[1,2,3],[4,5,6]]").as<roc::NdArray<std::int16_t>>();
  CHECK(image.shape() == std::vector<std::size_t>{2, 3});
  CHECK(image(1, 0) == 4);
  CHECK(Json::parse("[]").as<roc::NdArray<float>>().shape() == std::vector<std::size_t>{0});
  CHECK(Json::parse("[[],[]]").as<roc::NdArray<float>>().shape() == std::vector<std::size_t>{2, 0});
  CHECK_THROWS_WITH_AS(Json::parse("[[1,2],[3]]").as<roc::NdArray<int>>(), doctest::Contains("not rectangular"),
                       roc::json::DecodeError);
  CHECK_THROWS_WITH_AS(Json::parse("[[1,2],[3,\"x\"]]").as<roc::NdArray<int>>(), doctest::Contains("[1][1]"),
                       roc::json::DecodeError);
  CHECK_THROWS_AS(Json::parse(R"({"$attachment":0,"type":"uint8","order":"little","shape":[1]})").as<std::vector<std::uint8_t>>(),
                  roc::json::DecodeError);

  // A received NdArray views the frame when aligned; a vector is a copy.
  {
    std::vector<std::uint16_t> frame{1, 2, 3, 4};
    roc::detail::AttachmentSource source({roc::detail::IncomingAttachment{frame.data(), 8, nullptr}});
    const roc::detail::SourceScope scope(&source);
    auto ref = Json::parse(R"({"$attachment":0,"type":"uint16","order":"little","shape":[2,2]})");
    CHECK(ref.as<roc::NdArray<std::uint16_t>>().data() == frame.data());
    CHECK(ref.as<roc::NdArray<std::uint16_t>>()(1, 1) == 4);
    auto flat = Json::parse(R"({"$attachment":0,"type":"uint16","order":"little","shape":[4]})");
    CHECK(flat.as<std::vector<std::uint16_t>>() == frame);
    CHECK_THROWS_WITH_AS(flat.as<roc::Bytes>(), doctest::Contains("uint16 elements"), roc::json::DecodeError);
  }

  // References back to JSON: what `roc call --json` prints.
  std::string bytes = u16_bytes({1, 2, 3, 4, 5, 6});
  roc::detail::AttachmentSource source({roc::detail::IncomingAttachment{bytes.data(), bytes.size(), nullptr}});
  auto doc = Json::parse(R"({"frame":{"$attachment":0,"type":"uint16","order":"little","shape":[2,3]}})");
  roc::json::inline_attachments(doc.value(), doc.allocator(), source);
  CHECK(doc.dump() == R"({"frame":[[1,2,3],[4,5,6]]})");
}
