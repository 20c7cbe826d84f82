// The 7/MDP codec: every frame layout each side sends and reads, roc's credit frame, and every
// malformed message the broker and its peers must reject with a reason instead of crashing.
#include <doctest/doctest.h>

#include "wire/mdp.hpp"

#include <zmq_addon.hpp>

#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

using namespace roc::detail;
using mdp::Command;
using mdp::Frames;

namespace {

Frames frames(std::initializer_list<std::string> parts) {
  Frames f;
  for (const auto& p : parts) f.emplace_back(p.data(), p.size());
  return f;
}

std::string str(const zmq::message_t& m) { return m.to_string(); }

std::string byte(Command c) { return std::string(1, static_cast<char>(c)); }

const std::string ready = byte(Command::ready);
const std::string request = byte(Command::request);
const std::string reply = byte(Command::reply);
const std::string heartbeat = byte(Command::heartbeat);
const std::string disconnect = byte(Command::disconnect);

// A broker-side ROUTER and a peer DEALER joined over inproc, with receive timeouts.
struct Pipe {
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  zmq::socket_t dealer{context, zmq::socket_type::dealer};
  Pipe() {
    for (auto* s : {&router, &dealer}) {
      s->set(zmq::sockopt::linger, 0);
      s->set(zmq::sockopt::rcvtimeo, 2000);
    }
    router.bind("inproc://mdp-test");
    dealer.set(zmq::sockopt::routing_id, "peer");
    dealer.connect("inproc://mdp-test");
  }
  static Frames read(zmq::socket_t& s) {
    Frames f;
    REQUIRE(zmq::recv_multipart(s, std::back_inserter(f)));
    return f;
  }
};

}  // namespace

TEST_CASE("the broker decodes a client request: service, and every body frame in order") {
  SUBCASE("one body frame") {
    auto f = frames({"C", "", "MDPC01", "vnir", R"({"jsonrpc":"2.0","id":1,"method":"x"})"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(str(d.message->sender) == "C");
    REQUIRE(d.message->client);
    CHECK_FALSE(d.message->worker);
    CHECK(d.message->client->service == "vnir");
    REQUIRE(d.message->client->body.size() == 1);
    CHECK(str(d.message->client->body[0]) == R"({"jsonrpc":"2.0","id":1,"method":"x"})");
  }
  SUBCASE("attachment frames follow the JSON frame") {
    auto f = frames({"C", "", "MDPC01", "vnir", "{}", "bin1", ""});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    REQUIRE(d.message->client->body.size() == 3);
    CHECK(str(d.message->client->body[1]) == "bin1");
    CHECK(d.message->client->body[2].size() == 0);
  }
  SUBCASE("an empty body frame is a body") {
    auto f = frames({"C", "", "MDPC01", "vnir", ""});
    CHECK(mdp::decode_at_broker(f));
  }
}

TEST_CASE("the broker decodes every worker command") {
  SUBCASE("READY without a credit frame gets credit 1 (plain 7/MDP worker)") {
    auto f = frames({"W", "", "MDPW01", ready, "vnir"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    REQUIRE(d.message->worker);
    CHECK(d.message->worker->command == Command::ready);
    CHECK(d.message->worker->service == "vnir");
    CHECK(d.message->worker->credit == 1);
    CHECK(str(d.message->sender) == "W");
  }
  SUBCASE("READY with a credit frame") {
    auto f = frames({"W", "", "MDPW01", ready, "vnir", "64"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->worker->credit == 64);
  }
  SUBCASE("REPLY: client address, empty frame, body frames") {
    auto f = frames({"W", "", "MDPW01", reply, "client-7", "", "result", "attachment"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    auto& w = *d.message->worker;
    CHECK(w.command == Command::reply);
    CHECK(str(w.client) == "client-7");
    REQUIRE(w.body.size() == 2);
    CHECK(str(w.body[0]) == "result");
    CHECK(str(w.body[1]) == "attachment");
  }
  SUBCASE("HEARTBEAT and DISCONNECT") {
    auto h = frames({"W", "", "MDPW01", heartbeat});
    auto dh = mdp::decode_at_broker(h);
    REQUIRE(dh);
    CHECK(dh.message->worker->command == Command::heartbeat);
    auto x = frames({"W", "", "MDPW01", disconnect});
    auto dx = mdp::decode_at_broker(x);
    REQUIRE(dx);
    CHECK(dx.message->worker->command == Command::disconnect);
  }
}

TEST_CASE("the broker rejects malformed messages with a reason and leaves the sender frame intact") {
  auto rejects = [](Frames f, const char* reason_part) {
    auto sender_before = f.empty() ? std::string() : str(f[0]);
    auto d = mdp::decode_at_broker(f);
    CHECK_FALSE(d);
    CHECK_FALSE(d.message.has_value());
    CHECK_MESSAGE(d.error.find(reason_part) != std::string::npos, d.error);
    if (!f.empty()) CHECK(str(f[0]) == sender_before);  // the broker logs and looks it up
  };
  SUBCASE("too few frames") {
    rejects(frames({}), "frames");
    rejects(frames({"X"}), "frames");
    rejects(frames({"X", ""}), "frames");
  }
  SUBCASE("no empty delimiter") { rejects(frames({"X", "MDPC01", "svc", "body"}), "not empty"); }
  SUBCASE("unknown protocol") {
    rejects(frames({"X", "", "MDPC02", "svc", "body"}), "unknown protocol");
    rejects(frames({"X", "", "", "svc", "body"}), "unknown protocol");
    rejects(frames({"X", "", std::string(1000, 'Z')}), "unknown protocol");
  }
  SUBCASE("client: no service, empty service, no body") {
    rejects(frames({"X", "", "MDPC01"}), "service");
    rejects(frames({"X", "", "MDPC01", "", "body"}), "service");
    rejects(frames({"X", "", "MDPC01", "svc"}), "body");
  }
  SUBCASE("worker: no command, a command frame of the wrong size, an unknown command") {
    rejects(frames({"X", "", "MDPW01"}), "command");
    rejects(frames({"X", "", "MDPW01", ""}), "0 bytes");
    rejects(frames({"X", "", "MDPW01", "\x01\x01", "svc"}), "2 bytes");
    rejects(frames({"X", "", "MDPW01", std::string(1, '\0')}), "unknown MDPW01 command 0x00");
    rejects(frames({"X", "", "MDPW01", "\x09"}), "0x09");
  }
  SUBCASE("worker: REQUEST goes broker → worker only") {
    rejects(frames({"X", "", "MDPW01", request, "c", "", "body"}), "wrong direction");
  }
  SUBCASE("READY without a service, or with an empty one") {
    rejects(frames({"X", "", "MDPW01", ready}), "service");
    rejects(frames({"X", "", "MDPW01", ready, ""}), "service");
  }
  SUBCASE("READY with an id that is not printable UTF-8 of at most 255 bytes") {
    for (std::string id : {std::string("bad\xff"), std::string("\xc0\xaf"), std::string("tab\there"),
                           std::string("\xed\xa0\x80"), std::string("cut\xe2\x82"), std::string(256, 'a')})
      rejects(frames({"X", "", "MDPW01", ready, id}), "printable UTF-8");
    auto ok = frames({"X", "", "MDPW01", ready, "caméra-\xe2\x82\xac-\xf0\x9f\x93\xb7"});
    CHECK(mdp::decode_at_broker(ok));
  }
  SUBCASE("READY with a credit that is not a number from 1 to 2^20") {
    for (const char* credit : {"0", "-1", "abc", "12x", " 5", "", "99999999999", "1048577"})
      rejects(frames({"X", "", "MDPW01", ready, "svc", credit}), "credit");
  }
  SUBCASE("REPLY without a client, with an empty client, without the delimiter, without a body") {
    rejects(frames({"X", "", "MDPW01", reply}), "client address");
    rejects(frames({"X", "", "MDPW01", reply, "c"}), "client address");
    rejects(frames({"X", "", "MDPW01", reply, "", "", "body"}), "client address");
    rejects(frames({"X", "", "MDPW01", reply, "c", "x", "body"}), "empty frame");
    rejects(frames({"X", "", "MDPW01", reply, "c", ""}), "without a body");
  }
}

TEST_CASE("the largest credit is accepted, one more is not") {
  auto ok = frames({"W", "", "MDPW01", ready, "svc", "1048576"});
  auto d = mdp::decode_at_broker(ok);
  REQUIRE(d);
  CHECK(d.message->worker->credit == 1048576u);
}

TEST_CASE("a worker decodes what the broker sends it and rejects the rest") {
  SUBCASE("REQUEST") {
    auto f = frames({"", "MDPW01", request, "client-1", "", "body", "att"});
    auto d = mdp::decode_at_worker(f);
    REQUIRE(d);
    CHECK(d.message->command == Command::request);
    CHECK(str(d.message->client) == "client-1");
    REQUIRE(d.message->body.size() == 2);
    CHECK(str(d.message->body[0]) == "body");
  }
  SUBCASE("HEARTBEAT and DISCONNECT") {
    auto h = frames({"", "MDPW01", heartbeat});
    CHECK(mdp::decode_at_worker(h).message->command == Command::heartbeat);
    auto x = frames({"", "MDPW01", disconnect});
    CHECK(mdp::decode_at_worker(x).message->command == Command::disconnect);
  }
  SUBCASE("READY and REPLY never go to a worker") {
    auto r = frames({"", "MDPW01", ready, "svc"});
    CHECK(mdp::decode_at_worker(r).error.find("READY") != std::string::npos);
    auto p = frames({"", "MDPW01", reply, "c", "", "b"});
    CHECK(mdp::decode_at_worker(p).error.find("wrong direction") != std::string::npos);
  }
  SUBCASE("a bad envelope") {
    auto a = frames({"x", "MDPW01", heartbeat});
    CHECK_FALSE(mdp::decode_at_worker(a));
    auto b = frames({"", "MDPC01", heartbeat});
    CHECK_FALSE(mdp::decode_at_worker(b));
    auto c = frames({""});
    CHECK_FALSE(mdp::decode_at_worker(c));
    auto e = frames({"", "MDPW01", request, "c", ""});
    CHECK_FALSE(mdp::decode_at_worker(e));
  }
}

TEST_CASE("a client decodes the broker's reply and rejects the rest") {
  auto ok = frames({"", "MDPC01", "vnir", "result"});
  auto d = mdp::decode_at_client(ok);
  REQUIRE(d);
  CHECK(d.message->service == "vnir");
  CHECK(str(d.message->body[0]) == "result");

  auto wrong = frames({"", "MDPW01", "vnir", "result"});
  CHECK_FALSE(mdp::decode_at_client(wrong));
  auto no_body = frames({"", "MDPC01", "vnir"});
  CHECK_FALSE(mdp::decode_at_client(no_body));
  auto no_envelope = frames({"MDPC01", "vnir", "result"});
  CHECK_FALSE(mdp::decode_at_client(no_envelope));
  auto empty_service = frames({"", "MDPC01", "", "result"});
  CHECK_FALSE(mdp::decode_at_client(empty_service));
}

TEST_CASE("the senders write exactly the 7/MDP frame layouts") {
  Pipe pipe;
  auto peer = zmq::message_t(std::string("peer"));

  SUBCASE("client → broker: \"\" | MDPC01 | service | body") {
    mdp::send_request(pipe.dealer, "vnir", mdp::one_frame(zmq::message_t(std::string("{}"))));
    auto f = Pipe::read(pipe.router);
    REQUIRE(f.size() == 5);
    CHECK(str(f[0]) == "peer");
    CHECK(str(f[1]).empty());
    CHECK(str(f[2]) == "MDPC01");
    CHECK(str(f[3]) == "vnir");
    CHECK(str(f[4]) == "{}");
  }
  SUBCASE("broker → client: \"\" | MDPC01 | service | body frames") {
    auto body = frames({"result", "att"});
    mdp::send_to_client(pipe.router, peer, "vnir", body);
    auto f = Pipe::read(pipe.dealer);
    REQUIRE(f.size() == 5);
    CHECK(str(f[0]).empty());
    CHECK(str(f[1]) == "MDPC01");
    CHECK(str(f[2]) == "vnir");
    CHECK(str(f[3]) == "result");
    CHECK(str(f[4]) == "att");
  }
  SUBCASE("an empty body still ends the message, so the next one is not glued to it") {
    Frames none;
    mdp::send_to_client(pipe.router, peer, "vnir", none);
    auto next = frames({"second"});
    mdp::send_to_client(pipe.router, peer, "vnir", next);
    auto f = Pipe::read(pipe.dealer);
    REQUIRE(f.size() == 4);
    CHECK(str(f[3]).empty());
    auto g = Pipe::read(pipe.dealer);
    REQUIRE(g.size() == 4);
    CHECK(str(g[3]) == "second");
  }
  SUBCASE("worker → broker READY with roc's credit and features frames") {
    mdp::send_ready(pipe.dealer, "vnir", 16);
    auto f = Pipe::read(pipe.router);
    REQUIRE(f.size() == 7);
    CHECK(str(f[1]).empty());
    CHECK(str(f[2]) == "MDPW01");
    CHECK(str(f[3]) == ready);
    CHECK(str(f[4]) == "vnir");
    CHECK(str(f[5]) == "16");
    CHECK(str(f[6]) == "attachments cancel progress");
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->worker->credit == 16);
    CHECK(d.message->worker->attachments);
  }
  SUBCASE("worker → broker REPLY: client | \"\" | body") {
    mdp::send_reply(pipe.dealer, zmq::message_t(std::string("client-9")), mdp::one_frame(zmq::message_t(std::string("ok"))));
    auto f = Pipe::read(pipe.router);
    REQUIRE(f.size() == 7);
    CHECK(str(f[2]) == "MDPW01");
    CHECK(str(f[3]) == reply);
    CHECK(str(f[4]) == "client-9");
    CHECK(str(f[5]).empty());
    CHECK(str(f[6]) == "ok");
  }
  SUBCASE("broker → worker REQUEST: client | \"\" | body frames") {
    auto body = frames({"call", "att"});
    mdp::send_to_worker(pipe.router, peer, zmq::message_t(std::string("client-3")), body);
    auto f = Pipe::read(pipe.dealer);
    REQUIRE(f.size() == 7);
    CHECK(str(f[0]).empty());
    CHECK(str(f[1]) == "MDPW01");
    CHECK(str(f[2]) == request);
    CHECK(str(f[3]) == "client-3");
    CHECK(str(f[4]).empty());
    CHECK(str(f[5]) == "call");
    CHECK(str(f[6]) == "att");
    auto d = mdp::decode_at_worker(f);
    REQUIRE(d);
    CHECK(str(d.message->client) == "client-3");
  }
  SUBCASE("HEARTBEAT and DISCONNECT both ways") {
    mdp::send_command(pipe.dealer, Command::heartbeat);
    auto up = Pipe::read(pipe.router);
    REQUIRE(up.size() == 4);
    CHECK(str(up[3]) == heartbeat);
    mdp::send_command(pipe.router, Command::disconnect, &peer);
    auto down = Pipe::read(pipe.dealer);
    REQUIRE(down.size() == 3);
    CHECK(str(down[0]).empty());
    CHECK(str(down[1]) == "MDPW01");
    CHECK(str(down[2]) == disconnect);
  }
}

TEST_CASE("command names for logs") {
  CHECK(mdp::command_name(Command::ready) == "READY");
  CHECK(mdp::command_name(Command::request) == "REQUEST");
  CHECK(mdp::command_name(Command::reply) == "REPLY");
  CHECK(mdp::command_name(Command::heartbeat) == "HEARTBEAT");
  CHECK(mdp::command_name(Command::disconnect) == "DISCONNECT");
  CHECK(mdp::command_name(static_cast<Command>(0x7f)) == "unknown");
}

TEST_CASE("a call header in front of a request body is taken off and read") {
  SUBCASE("client request with a timeout") {
    auto f = frames({"C", "", "MDPC01", "vnir", "roc/1 timeout-ms=1500", "{}", "attachment"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    REQUIRE(d.message->client->header);
    CHECK(d.message->client->header->timeout == std::chrono::milliseconds(1500));
    REQUIRE(d.message->client->body.size() == 2);
    CHECK(str(d.message->client->body[0]) == "{}");
  }
  SUBCASE("a header without fields, and unknown fields, are fine") {
    for (std::string text : {"roc/1", "roc/1  future=x   timeout-ms=7 more"}) {
      auto f = frames({"C", "", "MDPC01", "vnir", text, "{}"});
      auto d = mdp::decode_at_broker(f);
      REQUIRE_MESSAGE(d, text);
      CHECK(d.message->client->body.size() == 1);
    }
  }
  SUBCASE("attach=1 asks for attachments in the reply; attach=0 and no field do not") {
    for (auto [text, asks] : {std::pair<std::string, bool>{"roc/1 timeout-ms=5 attach=1", true},
                              {"roc/1 attach=0", false}, {"roc/1 timeout-ms=5", false}}) {
      auto f = frames({"C", "", "MDPC01", "vnir", text, "{}"});
      auto d = mdp::decode_at_broker(f);
      REQUIRE_MESSAGE(d, text);
      CHECK_MESSAGE(d.message->client->header->attachments == asks, text);
    }
    for (std::string text : {"roc/1 attach=yes", "roc/1 attach", "roc/1 attach=2"}) {
      auto f = frames({"C", "", "MDPC01", "vnir", text, "{}"});
      auto d = mdp::decode_at_broker(f);
      CHECK_FALSE_MESSAGE(d, text);
      CHECK(d.error.find("attach") != std::string::npos);
    }
    mdp::CallHeader header{std::chrono::milliseconds(9), true};
    CHECK(mdp::format_call_header(header) == "roc/1 timeout-ms=9 attach=1");
  }
  SUBCASE("READY features: unknown words are ignored, and no frame means no attachments") {
    auto f = frames({"W", "", "MDPW01", ready, "vnir", "4", "progress attachments later"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->worker->attachments);
    auto g = frames({"W", "", "MDPW01", ready, "vnir", "4"});
    auto e = mdp::decode_at_broker(g);
    REQUIRE(e);
    CHECK_FALSE(e.message->worker->attachments);
  }
  SUBCASE("a request without a header has none") {
    auto f = frames({"C", "", "MDPC01", "vnir", "{}"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK_FALSE(d.message->client->header);
  }
  SUBCASE("bad headers are malformed messages") {
    for (std::string text : {"roc/1 timeout-ms=", "roc/1 timeout-ms=-1", "roc/1 timeout-ms=1.5",
                             "roc/1 timeout-ms=99999999999", "roc/1 timeout-ms"}) {
      auto f = frames({"C", "", "MDPC01", "vnir", text, "{}"});
      auto d = mdp::decode_at_broker(f);
      CHECK_FALSE_MESSAGE(d, text);
      CHECK(d.error.find("timeout-ms") != std::string::npos);
    }
    auto f = frames({"C", "", "MDPC01", "vnir", "roc/1 timeout-ms=5"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE_FALSE(d);
    CHECK(d.error.find("header without a body") != std::string::npos);
  }
  SUBCASE("a worker reads the header of a REQUEST") {
    auto f = frames({"", "MDPW01", request, "client", "", "roc/1 timeout-ms=20", "{}"});
    auto d = mdp::decode_at_worker(f);
    REQUIRE(d);
    REQUIRE(d.message->header);
    CHECK(d.message->header->timeout == std::chrono::milliseconds(20));
    CHECK(str(d.message->body.at(0)) == "{}");
  }
  SUBCASE("text that only starts like a header is a body") {
    auto f = frames({"C", "", "MDPC01", "vnir", "roc/10"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK_FALSE(d.message->client->header);
  }
  SUBCASE("a client takes the header off an event, and a plain reply has none") {
    auto f = frames({"", "MDPC01", "vnir", "roc/1 call=3 event=progress", "{}"});
    auto d = mdp::decode_at_client(f);
    REQUIRE(d);
    REQUIRE(d.message->header);
    CHECK(d.message->header->event == mdp::CallHeader::Event::progress);
    CHECK(d.message->header->call == 3);
    CHECK(d.message->body.size() == 1);
    auto g = frames({"", "MDPC01", "vnir", "{}"});
    auto e = mdp::decode_at_client(g);
    REQUIRE(e);
    CHECK_FALSE(e.message->header);
  }
}

TEST_CASE("long calls: call names, progress requests, cancels and events in the header (PROTOCOL §2.6)") {
  SUBCASE("call=N and progress=1 are read; the largest call number fits, zero and overflow do not") {
    auto f = frames({"C", "", "MDPC01", "vnir", "roc/1 timeout-ms=5 call=18446744073709551615 progress=1", "{}"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->client->header->call == 18446744073709551615ull);
    CHECK(d.message->client->header->progress);
    for (std::string text : {"roc/1 call=0", "roc/1 call=18446744073709551616", "roc/1 call=-1", "roc/1 call=",
                             "roc/1 call=1x", "roc/1 progress=2", "roc/1 cancel=0 call=1"}) {
      auto g = frames({"C", "", "MDPC01", "vnir", text, "{}"});
      CHECK_FALSE_MESSAGE(mdp::decode_at_broker(g), text);
    }
  }
  SUBCASE("a cancel is a header alone: with a body, or anywhere but client to broker, it is malformed") {
    auto f = frames({"C", "", "MDPC01", "vnir", "roc/1 cancel=12"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->client->header->cancel == 12);
    CHECK(d.message->client->body.empty());
    auto g = frames({"C", "", "MDPC01", "vnir", "roc/1 cancel=12", "{}"});
    auto e = mdp::decode_at_broker(g);
    REQUIRE_FALSE(e);
    CHECK(e.error.find("cancel with a body") != std::string::npos);
    auto to_worker = frames({"", "MDPW01", request, "client", "", "roc/1 cancel=1", "{}"});
    CHECK_FALSE(mdp::decode_at_worker(to_worker));
    auto to_client = frames({"", "MDPC01", "vnir", "roc/1 cancel=1"});
    CHECK_FALSE(mdp::decode_at_client(to_client));
  }
  SUBCASE("an event of a kind this version does not know is marked unknown, not refused") {
    auto f = frames({"", "MDPC01", "vnir", "roc/1 call=3 event=later", "{}"});
    auto d = mdp::decode_at_client(f);
    REQUIRE(d);
    CHECK(d.message->header->event == mdp::CallHeader::Event::unknown);
  }
  SUBCASE("READY features cancel and progress") {
    auto f = frames({"W", "", "MDPW01", ready, "vnir", "4", "attachments cancel progress"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->worker->cancel);
    CHECK(d.message->worker->progress);
    auto g = frames({"W", "", "MDPW01", ready, "vnir", "4", "attachments"});
    auto e = mdp::decode_at_broker(g);
    REQUIRE(e);
    CHECK_FALSE(e.message->worker->cancel);
    CHECK_FALSE(e.message->worker->progress);
  }
  SUBCASE("PROGRESS goes worker to broker and CANCEL broker to worker, exactly framed") {
    const auto progress = byte(Command::progress), cancel = byte(Command::cancel);
    auto f = frames({"W", "", "MDPW01", progress, "client", "", "7", R"({"fraction":0.5})"});
    auto d = mdp::decode_at_broker(f);
    REQUIRE(d);
    CHECK(d.message->worker->command == Command::progress);
    CHECK(str(d.message->worker->client) == "client");
    CHECK(d.message->worker->call == 7);
    CHECK(str(d.message->worker->body.at(0)) == R"({"fraction":0.5})");
    auto c = frames({"", "MDPW01", cancel, "client", "", "7"});
    auto e = mdp::decode_at_worker(c);
    REQUIRE(e);
    CHECK(e.message->call == 7);
    const std::vector<std::vector<std::string>> malformed = {
        {"W", "", "MDPW01", progress, "client", "", "7"},
        {"W", "", "MDPW01", progress, "client", "x", "7", "{}"},
        {"W", "", "MDPW01", progress, "client", "", "0", "{}"},
        {"W", "", "MDPW01", progress, "client", "", "7", "{}", "more"},
        {"W", "", "MDPW01", cancel, "client", "", "7"}};
    for (const auto& parts : malformed) {
      Frames bad;
      for (const auto& part : parts) bad.emplace_back(part.data(), part.size());
      CHECK_FALSE(mdp::decode_at_broker(bad));
    }
    auto wrong_way = frames({"", "MDPW01", progress, "client", "", "7", "{}"});
    CHECK_FALSE(mdp::decode_at_worker(wrong_way));
    CHECK(mdp::command_name(Command::progress) == "PROGRESS");
    CHECK(mdp::command_name(Command::cancel) == "CANCEL");
  }
  SUBCASE("the senders write each layout the decoders read") {
    Pipe pipe;
    mdp::CallHeader header;
    header.timeout = std::chrono::milliseconds(4294967295u);
    header.attachments = true;
    header.call = 18446744073709551615ull;
    header.progress = true;
    CHECK(mdp::format_call_header(header) ==
          "roc/1 timeout-ms=4294967295 attach=1 call=18446744073709551615 progress=1");
    REQUIRE(mdp::send_cancel_request(pipe.dealer, "vnir", 42));
    auto in = Pipe::read(pipe.router);
    auto d = mdp::decode_at_broker(in);
    REQUIRE(d);
    CHECK(d.message->client->header->cancel == 42);

    zmq::message_t peer(std::string("peer")), client(std::string("C")), body(std::string("{}"));
    REQUIRE(mdp::send_progress_to_client(pipe.router, peer, "vnir", 42, body));
    auto event = Pipe::read(pipe.dealer);
    auto e = mdp::decode_at_client(event);
    REQUIRE(e);
    CHECK(e.message->header->event == mdp::CallHeader::Event::progress);
    CHECK(e.message->header->call == 42);
    CHECK(str(e.message->body.at(0)) == "{}");

    REQUIRE(mdp::send_progress(pipe.dealer, client, 42, R"({"message":"half"})"));
    auto up = Pipe::read(pipe.router);
    auto u = mdp::decode_at_broker(up);
    REQUIRE(u);
    CHECK(u.message->worker->call == 42);
    CHECK(str(u.message->worker->client) == "C");

    REQUIRE(mdp::send_cancel(pipe.router, peer, client, 42));
    auto down = Pipe::read(pipe.dealer);
    auto w = mdp::decode_at_worker(down);
    REQUIRE(w);
    CHECK(w.message->command == Command::cancel);
    CHECK(w.message->call == 42);
  }
}

TEST_CASE("the senders write the call header before the body") {
  Pipe pipe;
  mdp::CallHeader header{std::chrono::milliseconds(250)};
  CHECK(mdp::format_call_header(header) == "roc/1 timeout-ms=250");
  CHECK(mdp::format_call_header({}) == "roc/1");
  REQUIRE(mdp::send_request(pipe.dealer, "vnir", mdp::one_frame(zmq::message_t(std::string("{}"))), &header));
  auto in = Pipe::read(pipe.router);
  REQUIRE(in.size() == 6);
  CHECK(str(in[4]) == "roc/1 timeout-ms=250");
  CHECK(str(in[5]) == "{}");

  mdp::Frames body = frames({"{}"});
  zmq::message_t worker(std::string("peer")), client(std::string("C"));
  REQUIRE(mdp::send_to_worker(pipe.router, worker, client, body, &header));
  auto out = Pipe::read(pipe.dealer);
  auto d = mdp::decode_at_worker(out);
  REQUIRE(d);
  CHECK(d.message->header->timeout == std::chrono::milliseconds(250));
}
