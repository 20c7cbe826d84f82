// Admission to a secured broker, over real tcp sockets with CURVE on: admitted keys are served,
// unknown keys and plaintext peers get nothing (and cost the others nothing), the allow directory
// is re-read on request and by itself, logs and status reach only admitted subscribers, the ZAP
// handler survives requests libzmq would never send, and rocbroker's --cert/--allow/SIGHUP.
#include "broker/authenticator.hpp"
#include "support/log_capture.hpp"
#include "support/raw_peers.hpp"
#include "support/secure_lab.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"
#include "transport/sockets.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <roc/security.hpp>

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using roc::test::LogCapture;
using Clock = std::chrono::steady_clock;
using roc::test::Admission;
using roc::test::SecureLab;
using roc::test::SecuredBroker;
using testing_lab::Device;
namespace fs = std::filesystem;

namespace {

// How long a refused peer is given to get anything at all; an admitted call takes milliseconds.
constexpr auto refused_wait = 600ms;

/// Whether a client with these endpoints gets the answer to dev.add within `timeout`; false on
/// TimeoutError, which is what a refused peer sees (the broker never answers it).
bool served(const roc::Endpoints& endpoints, std::chrono::milliseconds timeout = refused_wait) {
  roc::Client client(endpoints);
  try {
    return client.object("dev").with_timeout(timeout).call<std::int32_t>("add", 2, 3) == 5;
  } catch (const roc::TimeoutError&) {
    return false;
  }
}

/// A secured broker and a server publishing a Device as "dev" with an admitted key.
struct SecuredRig {
  explicit SecuredRig(Admission admission = Admission::listed)
      : secured(admission), server_key(secured.key("server")) {
    server = secured.serve(server_key, "dev", device);
    REQUIRE(roc::test::wait_until([&] { return secured.workers_of("dev") == 1; }));
  }

  SecuredBroker secured;
  roc::Certificate server_key;
  Device device;
  std::unique_ptr<roc::Server> server;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("an admitted client is served while unknown keys and plaintext clients get nothing") {
  LogCapture log;
  SecuredRig rig;
  const auto client_key = rig.secured.key("lab-pc-1");

  roc::Client client(rig.secured.as(client_key));
  CHECK(client.object("dev").call<std::int32_t>("add", 20, 22) == 42);

  // The admitted client keeps calling while the others knock; none of its calls may fail.
  std::atomic<bool> knocking{true};
  std::atomic<int> good{0}, bad{0};
  std::thread honest([&] {
    while (knocking) {
      try {
        (client.object("dev").call<std::int32_t>("add", 1, 1) == 2 ? good : bad)++;
      } catch (const std::exception&) {
        ++bad;
      }
    }
  });
  CHECK_FALSE(served(rig.secured.as(SecureLab::stranger("stranger"))));
  CHECK_FALSE(served(rig.secured.plaintext()));
  CHECK_FALSE(served(rig.secured.as(std::nullopt)));  // a per-process key nobody admitted
  knocking = false;
  honest.join();
  CHECK(bad == 0);
  CHECK(good > 0);

  const auto stats = rig.secured.broker.stats();
  CHECK(stats.keys_admitted >= 2);  // the server's and the client's connections
  CHECK(stats.keys_refused >= 2);   // the stranger and the per-process key, each at least once
  CHECK(log.count("admitted key 'lab-pc-1' from 127.0.0.1") == 1);
  CHECK(log.count("refused key") >= 2);
}

TEST_CASE("the broker's log names a key that reconnects in a loop once, not once per attempt") {
  LogCapture log;
  SecuredRig rig;
  const auto stranger = SecureLab::stranger("stranger");
  const auto before = rig.secured.broker.stats().keys_refused;
  for (int i = 0; i < 3; ++i) CHECK_FALSE(served(rig.secured.as(stranger), 300ms));
  CHECK(rig.secured.broker.stats().keys_refused >= before + 3);
  CHECK(log.count("refused key " + stranger.public_key()) == 1);
}

TEST_CASE("a broker with a certificate and no allow directory admits any key, a per-process one too") {
  SecuredRig rig(Admission::any_key);
  CHECK(served(rig.secured.as(SecureLab::stranger("anyone")), 5s));
  CHECK(served(rig.secured.as(std::nullopt), 5s));
  CHECK_FALSE(served(rig.secured.plaintext()));
  CHECK(rig.secured.broker.stats().keys_refused == 0);  // plaintext peers fail before the ZAP handler
  CHECK(rig.secured.broker.stats().keys_admitted >= 3);
}

TEST_CASE("an idle secured broker uses no CPU, with or without an allow directory") {
  // The authenticator's thread once polled with a zero timeout when it had no directory to watch.
  for (auto admission : {Admission::any_key, Admission::listed}) {
    CAPTURE(admission == Admission::any_key);
    SecureLab lab;
    roc::Broker broker(lab.broker_options(admission));
    broker.start();
    std::this_thread::sleep_for(1200ms);  // past the first look at the directory
    const auto cpu_before = std::clock();
    std::this_thread::sleep_for(1000ms);
    const double cpu_seconds = static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
    CHECK(cpu_seconds < 0.2);  // a spinning thread takes the whole second
  }
}

TEST_CASE("a key removed from the allow directory is refused after reload_keys() and after the watch sees it") {
  SecuredRig rig;
  auto& lab = rig.secured.lab;
  auto& broker = rig.secured.broker;
  const auto first = rig.secured.key("first"), second = rig.secured.key("second");
  const auto late = SecureLab::stranger("late");
  REQUIRE(served(rig.secured.as(first), 5s));
  REQUIRE(served(rig.secured.as(second), 5s));

  SUBCASE("reload_keys() puts the change in force when it returns") {
    lab.revoke("first");
    broker.reload_keys();
    CHECK_FALSE(served(rig.secured.as(first)));
    CHECK(served(rig.secured.as(second), 5s));
  }
  SUBCASE("the directory watch removes and adds keys by itself") {
    lab.revoke("second");
    lab.admit(late);
    // Each look makes a client; one every 100 ms is plenty against a watch of about a second.
    const auto refused = [&](const roc::Certificate& k) {
      if (!served(rig.secured.as(k), 300ms)) return true;
      std::this_thread::sleep_for(100ms);
      return false;
    };
    CHECK(roc::test::wait_until([&] { return refused(second); }, 10s));
    CHECK(roc::test::wait_until([&] { return !refused(late); }, 10s));
    CHECK(served(rig.secured.as(first), 5s));
  }
  SUBCASE("a directory that cannot be read keeps the keys in force") {
    LogCapture log;
    const auto moved = lab.directory() / "allow-moved";
    fs::rename(lab.allow_directory(), moved);
    broker.reload_keys();
    const bool still_served = served(rig.secured.as(first), 5s);
    fs::rename(moved, lab.allow_directory());
    CHECK(still_served);
    CHECK(log.count("cannot read the allow directory") >= 1);
  }
  CHECK(served(rig.secured.as(rig.server_key), 5s));
}

TEST_CASE("logs and status reach admitted subscribers only") {
  SecuredBroker secured;
  const auto publisher_key = secured.key("publisher"), reader_key = secured.key("reader");
  const auto stranger_key = SecureLab::stranger("stranger");

  SUBCASE("status") {
    roc::StatusUpdater updater(secured.as(publisher_key));
    updater.emit("lab.temperature", 21);
    REQUIRE(updater.flush(5s));
    roc::StatusSubscription reader(secured.as(reader_key), {"lab"}, 50ms);
    roc::StatusSubscription stranger(secured.as(stranger_key), {"lab"}, 50ms);
    roc::StatusSubscription plain(secured.plaintext(), {"lab"}, 50ms);
    roc::StatusTree tree;
    REQUIRE(roc::test::wait_until(
        [&] {
          tree.merge(reader.next(10ms));
          const auto* value = tree.find("lab.temperature");
          return value != nullptr && value->IsInt() && value->GetInt() == 21;
        },
        5s));
    updater.emit("lab.temperature", 22);
    REQUIRE(updater.flush(5s));
    int strangers = 0;
    const auto until = Clock::now() + refused_wait;
    while (Clock::now() < until) strangers += static_cast<bool>(stranger.next(10ms)) + static_cast<bool>(plain.next(10ms));
    CHECK(strangers == 0);
    CHECK_FALSE(stranger.synced());
  }
  SUBCASE("logs") {
    auto sink = std::make_shared<roc::log::Sink>(secured.as(publisher_key), "lab");
    spdlog::logger logger("security-test", sink);
    auto reader = roc::log::records(secured.as(reader_key), {}, 10ms);
    auto stranger = roc::log::records(secured.as(stranger_key), {}, 10ms);
    auto plain = roc::log::records(secured.plaintext(), {}, 10ms);
    // A SUB misses what was published before its subscription arrived: publish until one lands.
    int read = 0, strangers = 0;
    const auto deadline = Clock::now() + 5s;
    while (read < 3 && Clock::now() < deadline) {
      logger.info("secret {}", read);
      read += static_cast<bool>(reader.next(20ms));
      strangers += static_cast<bool>(stranger.next(0ms)) + static_cast<bool>(plain.next(0ms));
    }
    CHECK(read >= 3);
    const auto until = Clock::now() + refused_wait;
    while (Clock::now() < until) strangers += static_cast<bool>(stranger.next(10ms)) + static_cast<bool>(plain.next(10ms));
    CHECK(strangers == 0);
    CHECK(sink->drain(2s));
  }
  CHECK(secured.broker.stats().keys_refused >= 1);
  secured.broker.stop();
}

TEST_CASE("the ZAP handler answers requests libzmq would never send and counts them refused") {
  zmq::context_t context;
  roc::detail::KeyringHolder keyring(roc::detail::Keyring::open());
  roc::detail::Authenticator authenticator(keyring, "");
  authenticator.start(context);
  zmq::socket_t peer(context, zmq::socket_type::dealer);
  peer.set(zmq::sockopt::linger, 0);
  peer.connect("inproc://zeromq.zap.01");

  const auto ask = [&](const std::vector<std::string>& frames) -> std::optional<std::vector<std::string>> {
    std::vector<zmq::message_t> out;
    for (const auto& f : frames) out.emplace_back(f.data(), f.size());
    REQUIRE(zmq::send_multipart(peer, out));
    zmq::pollitem_t item{peer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 300ms) <= 0) return std::nullopt;
    std::vector<zmq::message_t> in;
    REQUIRE(zmq::recv_multipart(peer, std::back_inserter(in)));
    std::vector<std::string> reply;
    for (const auto& m : in) reply.push_back(m.to_string());
    return reply;
  };
  const std::string key32(32, 'k');
  // [""] then version, request id, domain, address, routing id, mechanism, credentials.
  auto reply = ask({"", "1.0", "7", "roc", "10.0.0.1", "", "CURVE", key32});
  REQUIRE(reply);
  REQUIRE(reply->size() == 7);
  CHECK((*reply)[2] == "7");
  CHECK((*reply)[3] == "200");
  CHECK((*reply)[5].size() == 40);  // the key in Z85: what sender_key() reads

  CHECK((*ask({"", "1.0", "1", "other", "a", "", "CURVE", key32}))[3] == "400");
  CHECK((*ask({"", "1.0", "1", "roc", "a", "", "PLAIN", "user", "password"}))[3] == "400");
  CHECK((*ask({"", "1.0", "1", "roc", "a", "", "CURVE", "short"}))[3] == "400");
  CHECK((*ask({"", "1.0", "1", "roc", "a", "", "CURVE"}))[3] == "400");
  CHECK_FALSE(ask({"", "2.0", "1", "roc", "a", "", "CURVE", key32}));  // no version to answer in
  CHECK_FALSE(ask({"x"}));
  CHECK_FALSE(ask({"", ""}));
  CHECK(authenticator.refused() == 7);
  CHECK(authenticator.admitted() == 1);
  // Still answering after all that.
  CHECK((*ask({"", "1.0", "9", "roc", "a", "", "CURVE", key32}))[3] == "200");
  peer.close();
  authenticator.stop();
}

TEST_CASE("every message on an admitted connection carries the sender's public key for the broker to check") {
  // The contract between admission and authorization: what the ZAP handler puts as User-Id is
  // what sender_key() gives the call router and the relay, per message.
  SecureLab lab;
  const auto client_key = lab.key("client");
  zmq::context_t context;
  roc::detail::KeyringHolder keyring(roc::detail::Keyring::open());
  roc::detail::Authenticator authenticator(keyring, lab.allow_directory().string());
  authenticator.start(context);
  const auto options = lab.broker_options();
  auto router = roc::detail::broker_side_socket(context, zmq::socket_type::router, false, options);
  router.bind("tcp://127.0.0.1:*");
  const roc::Endpoints at(router.get(zmq::sockopt::last_endpoint));

  zmq::context_t client_context;
  auto dealer = roc::detail::broker_socket(client_context, zmq::socket_type::dealer, at,
                                           lab.as(client_key, at).credentials());
  dealer.connect(at.calls());
  REQUIRE(dealer.send(zmq::str_buffer("hello")));
  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  REQUIRE(zmq::poll(&item, 1, 5s) == 1);
  std::vector<zmq::message_t> frames;
  REQUIRE(zmq::recv_multipart(router, std::back_inserter(frames)));
  REQUIRE(frames.size() == 2);
  // Only frames the peer sent carry it: the routing id a ROUTER prepends has no properties.
  CHECK(roc::detail::sender_key(frames[0]).empty());
  CHECK(roc::detail::sender_key(frames[1]) == client_key.public_key());
  CHECK(keyring.get()->find(roc::detail::sender_key(frames[1]))->name == "client");
  dealer.close();
  router.close();
  authenticator.stop();
}

TEST_CASE("a plaintext broker bound beyond loopback warns at start; on loopback it does not") {
  LogCapture log;
  {
    roc::BrokerOptions options;
    options.bind = "127.0.0.1:0";
    roc::Broker broker(options);
    broker.start();
  }
  CHECK(log.count("without a certificate") == 0);
  {
    roc::BrokerOptions options;
    options.bind = "0.0.0.0:0";
    roc::Broker broker(options);
    broker.start();
  }
  CHECK(log.count("without a certificate") == 1);
  {
    SecureLab lab;
    auto options = lab.broker_options(Admission::any_key);
    options.bind = "0.0.0.0:0";
    roc::Broker broker(options);
    broker.start();
  }
  CHECK(log.count("without a certificate") == 1);
  CHECK(log.count("admitting any key") == 1);
}

TEST_CASE("an allow directory without a certificate, or a certificate without its secret, is refused") {
  roc::BrokerOptions options;
  options.allow_directory = "/tmp";
  CHECK_THROWS_AS(roc::Broker{options}, std::invalid_argument);
  SecureLab lab;
  auto no_secret = lab.broker_options(Admission::any_key);
  no_secret.certificate = lab.broker_key().public_only();
  CHECK_THROWS_AS(roc::Broker{no_secret}, roc::Error);
  auto no_directory = lab.broker_options();
  no_directory.allow_directory = "/nonexistent/roc-allow";
  CHECK_THROWS_AS(roc::Broker{no_directory}, roc::Error);
}

TEST_CASE("rocbroker --cert --allow admits only the allowed keys and re-reads them on SIGHUP") {
  SecureLab lab;
  // The broker's key files sit beside the allow directory, not in it.
  const auto file = [&](const std::string& name) { return (lab.directory() / name).string(); };
  lab.broker_key().save(file("broker"));
  const auto allow = lab.allow_directory().string();
  const auto server_key = lab.key("server"), client_key = lab.key("client");
  const std::string program = ROC_BROKER_PROGRAM;

  SUBCASE("bad flags are refused with a clear message") {
    auto no_cert = roc::test::run({program, "--bind", "127.0.0.1:0", "--allow", allow});
    CHECK(no_cert.code != 0);
    CHECK(no_cert.err.find("--cert") != std::string::npos);
    auto public_only = roc::test::run({program, "--bind", "127.0.0.1:0", "--cert", file("broker.key")});
    CHECK(public_only.code == 1);
    CHECK(public_only.err.find("holds no secret key") != std::string::npos);
    auto missing = roc::test::run({program, "--bind", "127.0.0.1:0", "--cert", file("nothing.key_secret")});
    CHECK(missing.code != 0);
    CHECK(missing.err.find("nothing.key_secret") != std::string::npos);
    auto help = roc::test::run({program, "--help"});
    CHECK(help.out.find("--allow") != std::string::npos);
  }
  SUBCASE("admission and SIGHUP") {
    roc::test::BrokerProcess broker(program, {"--heartbeat-ms", "200", "--cert", file("broker.key_secret"),
                                              "--allow", allow});
    REQUIRE(roc::test::wait_until([&] { return read_file(broker.output).find("admitting 2 keys from") != std::string::npos; }));
    const roc::Endpoints address(broker.address());
    Device device;
    roc::Server server(lab.as(server_key, address), roc::test::fast_server());
    server.publish("dev", device);
    server.start();

    CHECK(served(lab.as(client_key, address), 5s));
    CHECK_FALSE(served(SecureLab::plaintext(address)));
    CHECK_FALSE(served(lab.as(SecureLab::stranger("stranger"), address)));

    lab.revoke("client");
    REQUIRE(::kill(broker.child.pid(), SIGHUP) == 0);
    REQUIRE(roc::test::wait_until([&] { return read_file(broker.output).find("SIGHUP received") != std::string::npos; }));
    CHECK(roc::test::wait_until([&] { return !served(lab.as(client_key, address), 300ms); }, 5s));
    CHECK(served(lab.as(server_key, address), 5s));
    // A key no longer in the directory has no name the broker knows: it is named by its public key.
    CHECK(read_file(broker.output).find("refused key " + client_key.public_key()) != std::string::npos);
    server.stop();
    broker.child.terminate();
    CHECK(broker.child.wait(5s) == 0);
  }
}
