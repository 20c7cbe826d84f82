// A broker that is down is not a slow object: calls to a refused port or an unknown host fail
// fast with roc::BrokerUnreachable, calls in flight fail at once when the broker is killed, the
// same client works again after a restart, and the worker says what happened in its log. Real
// programs and sockets on 127.0.0.1.
#include "support/log_capture.hpp"
#include "support/process.hpp"
#include "support/raw_peers.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <zmq.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using roc::test::LogCapture;

namespace {

// Far longer than any bound checked here: a call that waits for it has not failed fast.
constexpr auto call_timeout = 10s;
constexpr auto fast = 2s * roc::test::sanitizer_slowdown;

std::string refused_address() { return "127.0.0.1:" + std::to_string(roc::test::free_base_port()); }

template <class F>
Clock::duration time_of(F&& f) {
  const auto start = Clock::now();
  f();
  return Clock::now() - start;
}

/// The BrokerUnreachable `f` throws (FAIL when it throws nothing or something else).
template <class F>
std::optional<roc::BrokerUnreachable> unreachable_from(F&& f) {
  try {
    f();
  } catch (const roc::BrokerUnreachable& e) {
    return e;
  } catch (const std::exception& e) {
    FAIL_CHECK("expected roc::BrokerUnreachable, got: " << e.what());
    return std::nullopt;
  }
  FAIL_CHECK("expected roc::BrokerUnreachable, got no exception");
  return std::nullopt;
}

}  // namespace

TEST_CASE("A call to a port nobody listens on fails with BrokerUnreachable long before its timeout") {
  const auto address = refused_address();
  const auto endpoint = roc::Endpoints(address).calls();
  roc::Client client{roc::Endpoints(address), roc::ClientOptions{call_timeout}};
  auto dev = client.object("dev");
  const auto expected = "broker unreachable at " + endpoint + " (connection refused)";

  SUBCASE("a sync call") {
    std::optional<roc::BrokerUnreachable> error;
    CHECK(time_of([&] { error = unreachable_from([&] { dev.call<int>("add", 1, 2); }); }) < fast);
    REQUIRE(error);
    CHECK(std::string(error->what()) == expected);
    CHECK(error->endpoint() == endpoint);
    CHECK(error->reason() == "connection refused");
    // Again on the same thread's socket, which has been failing in the background meanwhile.
    std::this_thread::sleep_for(300ms);
    CHECK(time_of([&] { CHECK_THROWS_AS(dev.call<int>("add", 1, 2), roc::BrokerUnreachable); }) < fast);
  }
  SUBCASE("an async call, a started call and a broker query") {
    CHECK(time_of([&] { CHECK_THROWS_AS(dev.call_async<int>("add", 1, 2).get(), roc::BrokerUnreachable); }) < fast);
    CHECK(time_of([&] { CHECK_THROWS_AS(dev.start<int>("add", {}, 1, 2).get(), roc::BrokerUnreachable); }) < fast);
    CHECK(time_of([&] { CHECK_THROWS_AS(client.objects(), roc::BrokerUnreachable); }) < fast);
  }
  SUBCASE("a notification") {
    CHECK(time_of([&] { CHECK_THROWS_AS(dev.notify("add", 1, 2), roc::BrokerUnreachable); }) < fast);
  }
}

TEST_CASE("An unknown host is told apart from a refused port, and fails as fast") {
  // RFC 2606: .invalid never resolves, and the resolver says so without asking the network.
  roc::Client client{roc::Endpoints("no-such-broker.invalid:5555"), roc::ClientOptions{call_timeout}};
  std::optional<roc::BrokerUnreachable> error;
  CHECK(time_of([&] { error = unreachable_from([&] { client.object("dev").call<int>("add", 1, 2); }); }) < fast);
  REQUIRE(error);
  CHECK(error->reason() == "unknown host 'no-such-broker.invalid'");
  CHECK(std::string(error->what()) ==
        "broker unreachable at tcp://no-such-broker.invalid:5555 (unknown host 'no-such-broker.invalid')");
  CHECK(time_of([&] { CHECK_THROWS_AS(client.object("dev").call_async<int>("add", 1, 2).get(),
                                      roc::BrokerUnreachable); }) < fast);
}

TEST_CASE("Calls in flight fail at once when the broker is killed, and the same client works after a restart") {
  std::optional<roc::test::BrokerProcess> broker;
  broker.emplace(ROC_BROKER_PROGRAM, std::vector<std::string>{"--heartbeat-ms", "100"});
  const auto address = broker->address();
  const auto port = broker->port;
  // "slow" takes the calls in flight and stays busy with them; "dev", idle, registers again later.
  const auto server_program = roc::test::executable_dir() + "/roc_test_object_server";
  roc::test::Child slow_server({server_program, address, "slow"});
  roc::test::Child server({server_program, address, "dev"});
  roc::Client client{roc::Endpoints(address), roc::ClientOptions{call_timeout}};
  auto dev = client.object("dev");
  auto slow = client.object("slow");
  REQUIRE(roc::test::wait_until(
      [&] {
        try {
          return client.exists("dev") && client.exists("slow");
        } catch (const roc::Error&) {
          return false;
        }
      },
      10s));
  CHECK(dev.call<int>("add", 1, 2) == 3);

  // Three calls the object takes seconds over: sync (on a thread of its own), async and started.
  auto sync = std::async(std::launch::async, [&] { return slow.call<std::int64_t>("sleep_ms", 5000); });
  auto async = slow.call_async<std::int64_t>("sleep_ms", 5000);
  auto started = slow.start<std::int64_t>("sleep_ms", {}, 5000);
  std::this_thread::sleep_for(300ms);  // they are at the broker and the worker by now
  CHECK(sync.wait_for(0ms) == std::future_status::timeout);

  const auto killed_at = Clock::now();
  broker.reset();  // SIGKILL
  std::optional<roc::BrokerUnreachable> error;
  error = unreachable_from([&] { sync.get(); });
  REQUIRE(error);
  CHECK(error->reason() == "lost the connection; the call may have run");
  CHECK(std::string(error->what()) ==
        "broker unreachable at tcp://" + address + " (lost the connection; the call may have run)");
  CHECK_THROWS_AS(async.get(), roc::BrokerUnreachable);
  CHECK_THROWS_AS(started.get(), roc::BrokerUnreachable);
  CHECK(Clock::now() - killed_at < fast);

  // While it is down, new calls say so at once.
  CHECK(time_of([&] { CHECK_THROWS_AS(dev.call<int>("add", 1, 2), roc::BrokerUnreachable); }) < fast);

  // Back on the same port: ZeroMQ reconnects, the server registers again, calls work.
  const std::string output = "/tmp/roc-link-test-broker-" + std::to_string(port) + ".txt";
  roc::test::Child restarted(
      {ROC_BROKER_PROGRAM, "--bind", "127.0.0.1:" + std::to_string(port), "--heartbeat-ms", "100"}, output);
  CHECK(roc::test::wait_until(
      [&] {
        try {
          return dev.call<int>("add", 2, 3) == 5;
        } catch (const roc::Error&) {
          return false;
        }
      },
      10s));
  CHECK(dev.call_async<int>("add", 3, 3).get() == 6);
  CHECK(dev.start<int>("add", {}, 4, 4).get() == 8);
}

TEST_CASE("The worker logs once that the broker is unreachable, then that it connected, then that it lost it") {
  LogCapture log;
  const auto base = roc::test::free_base_port();
  const auto address = "127.0.0.1:" + std::to_string(base);
  const auto endpoint = roc::Endpoints(address).calls();
  testing_lab::Device device;
  roc::Server server(roc::Endpoints(address), roc::test::fast_server());
  server.publish("dev", device);
  server.start();

  const auto unreachable = "roc worker 'dev': broker unreachable at " + endpoint + " (connection refused); retrying";
  REQUIRE(roc::test::wait_until([&] { return log.count(unreachable) == 1; }));
  // Many attempts later (every 100 ms, a new socket every few heartbeats): still one line.
  std::this_thread::sleep_for(1s);
  CHECK(log.count(unreachable) == 1);
  CHECK(log.count("no word from the broker") == 0);

  roc::BrokerOptions options;
  options.bind = address;
  auto broker = std::make_unique<roc::Broker>(options);
  broker->start();
  const auto connected = "roc worker 'dev': connected to the broker at " + endpoint;
  CHECK(roc::test::wait_until([&] { return log.count(connected) == 1; }));
  broker->stop();
  broker.reset();
  CHECK(roc::test::wait_until(
      [&] { return log.count("roc worker 'dev': lost the connection to the broker at " + endpoint) == 1; }));
  std::this_thread::sleep_for(500ms);
  // The outage is told once, by the loss: no "unreachable" line for the retries after it.
  CHECK(log.count(unreachable) == 1);
  CHECK(log.count("lost the connection") == 1);
}
