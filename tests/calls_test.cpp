// End to end over real TCP sockets on 127.0.0.1: broker, server and client as users run them,
// including the failures — timeouts, unknown objects, throwing methods, garbage, a broker
// restart, a server killed mid-call, long calls past the heartbeat expiry, large replies.
#include "support/process.hpp"
#include "support/test_device.hpp"
#include "support/test_support.hpp"

#include <doctest/doctest.h>

#include <roc/roc.hpp>
#include <zmq.hpp>

#include <atomic>
#include <future>
#include <random>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using testing_lab::Colour;
using testing_lab::Device;
using testing_lab::Point;
using testing_lab::Shape;

using roc::test::fast_server;

namespace {

roc::BrokerOptions fast_broker(std::string bind = "127.0.0.1:0") {
  roc::BrokerOptions options;
  options.bind = std::move(bind);
  options.heartbeat_interval = 100ms;
  options.unknown_object_grace = 300ms;
  return options;
}

/// A broker, a server publishing a Device as "dev", and a client; all on loopback.
struct Rig {
  explicit Rig(roc::BrokerOptions broker_options = fast_broker(), roc::ServerOptions server_options = fast_server())
      : broker(std::make_unique<roc::Broker>(broker_options)) {
    broker->start();
    endpoints = broker->endpoints();
    server = std::make_unique<roc::Server>(endpoints, server_options);
    server->publish("dev", device);
    server->start();
    client = std::make_unique<roc::Client>(endpoints);
    REQUIRE(roc::test::wait_until([&] { return client->exists("dev"); }));
  }

  roc::ObjectHandle dev() const { return client->object("dev"); }

  std::unique_ptr<roc::Broker> broker;
  roc::Endpoints endpoints;
  Device device;
  std::unique_ptr<roc::Server> server;
  std::unique_ptr<roc::Client> client;
};

template <class T>
void check_echo(const roc::ObjectHandle& dev, const char* method, const T& value) {
  CAPTURE(method);
  CHECK(dev.call<T>(method, value) == value);
}

}  // namespace

TEST_CASE("calls of every type round-trip through the broker") {
  Rig rig;
  auto dev = rig.dev();
  check_echo(dev, "echo_bool", true);
  check_echo(dev, "echo_int8", std::int8_t{-128});
  check_echo(dev, "echo_uint8", std::uint8_t{255});
  check_echo(dev, "echo_int16", std::int16_t{-32768});
  check_echo(dev, "echo_uint16", std::uint16_t{65535});
  check_echo(dev, "echo_int32", std::int32_t{-2147483647 - 1});
  check_echo(dev, "echo_uint32", std::uint32_t{4294967295u});
  check_echo(dev, "echo_int64", std::int64_t{-9223372036854775807ll - 1});
  check_echo(dev, "echo_uint64", std::uint64_t{18446744073709551615ull});
  check_echo(dev, "echo_float", 0.25f);
  check_echo(dev, "echo_double", 3.141592653589793);
  check_echo(dev, "echo_string", std::string("ünïcødé \"quoted\" \n"));
  check_echo(dev, "echo_vector", std::vector<double>{1.5, -2, 1e300});
  check_echo(dev, "echo_array", std::array<int, 3>{1, 2, 3});
  check_echo(dev, "echo_map", std::map<std::string, int>{{"a", 1}, {"b", 2}});
  check_echo(dev, "echo_unordered_map", std::unordered_map<std::string, std::string>{{"k", "v"}});
  check_echo(dev, "echo_optional", std::optional<std::string>{});
  check_echo(dev, "echo_optional", std::optional<std::string>{"set"});
  check_echo(dev, "echo_pair", std::pair<int, std::string>{7, "seven"});
  check_echo(dev, "echo_tuple", std::tuple<int, double, std::string>{1, 2.5, "three"});
  check_echo(dev, "echo_duration", std::chrono::milliseconds(1500));
  check_echo(dev, "echo_colour", Colour::blue);
  Shape shape{"triangle", {{0, 0}, {1, 0}, {0, 1}}, Colour::green, {{"layer", 2}}};
  check_echo(dev, "echo_shape", shape);
  check_echo(dev, "echo_shapes", std::vector<Shape>{shape, Shape{"empty", {}, std::nullopt, {}}});
  CHECK(dev.call<int>("add", 2, 3) == 5);
  dev.call<void>("reset");
  dev.set("level", 1.25);
  CHECK(dev.get<double>("level") == 1.25);
  CHECK(dev.call("echo_shape", shape).value()["points"][1]["x"] == 1.0);  // dynamic result
}

TEST_CASE("the dynamic handle reports remote errors as typed exceptions") {
  Rig rig;
  auto dev = rig.dev();
  SUBCASE("a method that throws") {
    try {
      dev.call("fail", "custom");
      FAIL("no exception");
    } catch (const roc::RemoteError& e) {
      CHECK(e.code() == roc::error_code::method_threw);
      CHECK(e.message() == "'fail' threw testing_lab::CalibrationError: calibration drifted");
      CHECK(roc::Json::parse(e.data_json()).value()["what"] == "calibration drifted");
    }
    CHECK(dev.call<int>("add", 1, 1) == 2);  // the server lives on
  }
  SUBCASE("wrong arguments") {
    CHECK_THROWS_WITH_AS(dev.call("add", 1, "x"), doctest::Contains("parameter 'b' of 'add'"), roc::RemoteError);
  }
  SUBCASE("an unknown method") {
    CHECK_THROWS_WITH_AS(dev.call("nope"), doctest::Contains("has no method 'nope'"), roc::RemoteError);
  }
  SUBCASE("a read-only property") {
    try {
      dev.set("firmware", std::string("9"));
      FAIL("no exception");
    } catch (const roc::RemoteError& e) {
      CHECK(e.code() == roc::error_code::read_only);
    }
  }
  SUBCASE("a result of the wrong type") {
    CHECK_THROWS_AS(dev.call<int>("tag"), roc::ProtocolError);
  }
}

TEST_CASE("in/out arguments come back into the caller's variables") {
  Rig rig;
  auto dev = rig.dev();
  std::string line = "abc";
  CHECK(dev.call<bool>("read_line", roc::inout("line", line)));
  CHECK(line == "<abc>");
  std::vector<long> data{5};
  CHECK(dev.call<std::int32_t>("get_distance", roc::inout("data", data)) == 2);
  CHECK(data == std::vector<long>{5, 1});
  SUBCASE("mixed with plain arguments, in any position, with a void result") {
    double value = 1.5;
    dev.call<void>("scale", roc::inout("value", value), 4.0);
    CHECK(value == 6.0);
    std::string first = "a", second = "b";
    dev.call<void>("swap_ends", roc::inout("first", first), roc::inout("second", second));
    CHECK((first == "b" && second == "a"));
  }
  SUBCASE("the result as roc::Json is the return member") {
    std::string empty;
    CHECK(dev.call("read_line", roc::inout("line", empty)).value() == false);
  }
}

TEST_CASE("a reply without the in/out members is a ProtocolError saying what is missing") {
  Rig rig;
  auto dev = rig.dev();
  std::int32_t number = 3;
  CHECK_THROWS_WITH_AS(dev.call<std::int32_t>("echo_int32", roc::inout("value", number)),
                       "the result of 'echo_int32' is the integer 3, but a call with in/out arguments expects "
                       "an object {\"return\": ..., \"<parameter>\": ...}",
                       roc::ProtocolError);
  Shape shape{"s", {}, std::nullopt, {}};
  CHECK_THROWS_WITH_AS(dev.call<Shape>("echo_shape", roc::inout("value", shape)),
                       doctest::Contains("the result of 'echo_shape' has no member 'value'"), roc::ProtocolError);
  std::string line = "abc";
  CHECK_THROWS_WITH_AS(dev.call<bool>("read_line", roc::inout("text", line)),
                       doctest::Contains("has no member 'text'"), roc::ProtocolError);
  CHECK(line == "abc");  // nothing is written back from a reply that does not fit
}

TEST_CASE("defaults, C strings and builders work through the broker") {
  Rig rig;
  auto dev = rig.dev();
  CHECK(dev.call<std::string>("configure", 3) == "3 calibrated green");
  CHECK(dev.call<std::string>("configure", 3, false, Colour::red) == "3 raw red");
  const char* text = "héllo";
  CHECK(dev.call<std::uint64_t>("length", text) == 6);
  CHECK(dev.call<std::optional<std::string>>("lamp_name", true) == "lamp");
  CHECK(dev.call<std::optional<std::string>>("lamp_name", false) == std::nullopt);
  dev.call<void>("with_gain", 7);
  CHECK(dev.get<std::int32_t>("gain") == 7);
  CHECK(dev.call("dim", 4).value().IsNull());
  CHECK(dev.get<std::int32_t>("brightness") == 6);
}

TEST_CASE("an unknown object gets ObjectNotFound after the broker's grace, naming the id") {
  Rig rig;
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(rig.client->object("nobody").call("x"), doctest::Contains("'nobody'"), roc::ObjectNotFound);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 250ms);
  CHECK(waited < 1500ms);
  CHECK_FALSE(rig.client->exists("nobody"));
  auto objects = rig.client->objects();
  REQUIRE(objects.value().IsArray());
  CHECK(objects.value()[0]["id"] == "dev");
}

TEST_CASE("a call that takes longer than its timeout throws TimeoutError, and the next call works") {
  Rig rig;
  auto dev = rig.dev();
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(dev.with_timeout(100ms).call("sleep_ms", 1500), roc::TimeoutError);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 100ms);
  CHECK(waited < 1s);  // well before the call would have finished: it gave up, it did not wait
  // The late reply of the timed-out call arrives on this thread's socket and must be skipped.
  CHECK(dev.call<std::int64_t>("sleep_ms", 1) == 1);
  CHECK(dev.call<int>("add", 2, 2) == 4);
  SUBCASE("async calls time out too") {
    auto f = dev.with_timeout(50ms).call_async<std::int64_t>("sleep_ms", 300);
    CHECK_THROWS_AS(f.get(), roc::TimeoutError);
  }
}

TEST_CASE("with no broker at all, calls fail with BrokerUnreachable instead of hanging") {
  roc::Client client{roc::Endpoints{"127.0.0.1:1"}, roc::ClientOptions{150ms}};
  CHECK_THROWS_AS(client["dev"].call("add", 1, 2), roc::BrokerUnreachable);
  CHECK_THROWS_AS(client["dev"].call_async("add", 1, 2).get(), roc::BrokerUnreachable);
}

TEST_CASE("fifty threads share one client with many calls in flight") {
  Rig rig;
  auto dev = rig.dev();
  std::atomic<int> wrong{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 50; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        try {
          if (dev.call<int>("add", t, i) != t + i) ++wrong;
          ++done;
        } catch (const std::exception&) {
          ++wrong;
        }
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
  CHECK(done == 2000);
}

TEST_CASE("async calls: futures, many in flight, errors through the future") {
  Rig rig;
  auto dev = rig.dev();
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 500; ++i) futures.push_back(dev.call_async<int>("add", i, i));
  for (int i = 0; i < 500; ++i) CHECK(futures[i].get() == 2 * i);
  CHECK_THROWS_AS(dev.call_async("fail", "runtime").get(), roc::RemoteError);
  CHECK_THROWS_AS(rig.client->object("nobody").call_async("x").get(), roc::ObjectNotFound);
  dev.call_async<void>("reset").get();
}

TEST_CASE("notifications run one-way, in order, and nothing comes back") {
  Rig rig;
  auto dev = rig.dev();
  for (int i = 0; i < 10; ++i) dev.notify("bump");
  dev.notify("fail", "runtime");  // its error is not reported, and nothing breaks
  CHECK(roc::test::wait_until([&] { return dev.get<int>("counter") == 10; }));
  CHECK(dev.call<int>("add", 1, 2) == 3);
}

TEST_CASE("a 16 MiB reply arrives whole") {
  Rig rig;
  auto big = rig.dev().with_timeout(10s).call<std::string>("big", 16u << 20);
  CHECK(big.size() == (16u << 20));
  CHECK(big.find_first_not_of('x') == std::string::npos);
}

TEST_CASE("two workers for one id share the load") {
  Rig rig;
  Device second("second");
  rig.device.counter = 0;
  roc::Server other{rig.endpoints, fast_server()};
  other.publish("dev", second);
  other.start();
  REQUIRE(roc::test::wait_until([&] { return rig.broker->workers()["dev"] == 2; }));

  auto dev = rig.dev().with_timeout(10s);
  std::vector<std::future<std::int64_t>> futures;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) futures.push_back(dev.call_async<std::int64_t>("sleep_ms", 50));
  for (auto& f : futures) CHECK(f.get() == 50);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(rig.device.calls_finished > 5);
  CHECK(second.calls_finished > 5);
  CHECK(rig.device.calls_finished + second.calls_finished == 40);
  CHECK(elapsed < 40 * 50ms);  // in parallel (about half of that), not one after the other
  SUBCASE("also through PublishOptions::workers on a thread-safe object") {
    Device shared("shared");
    rig.server->publish("pool", shared, roc::PublishOptions{2});
    REQUIRE(roc::test::wait_until([&] { return rig.broker->workers()["pool"] == 2; }));
    std::vector<std::future<std::int64_t>> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) pool.push_back(rig.client->object("pool").call_async<std::int64_t>("sleep_ms", 100));
    for (auto& f : pool) f.get();
    CHECK(std::chrono::steady_clock::now() - t0 < 10 * 100ms);
  }
}

TEST_CASE("calls on one object run one at a time, in arrival order") {
  Rig rig;
  auto dev = rig.dev();
  dev.set("counter", 0);
  std::vector<std::future<void>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(dev.call_async<void>("bump"));
  for (auto& f : futures) f.get();
  CHECK(dev.get<int>("counter") == 200);  // no lost updates: Device has no locking of its own
}

TEST_CASE("garbage sent to the broker is dropped while other clients' calls go on") {
  Rig rig;
  auto dev = rig.dev();
  zmq::context_t context;
  zmq::socket_t vandal(context, zmq::socket_type::dealer);
  vandal.set(zmq::sockopt::linger, 0);
  vandal.connect(rig.endpoints.calls());
  std::mt19937 random(7);
  auto junk = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(random());
    return s;
  };
  std::atomic<bool> stop{false};
  std::atomic<int> good{0}, bad{0};
  std::thread caller([&] {
    while (!stop) (dev.call<int>("add", 1, 2) == 3 ? good : bad)++;
  });
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> frames;
    switch (i % 6) {
      case 0: frames = {junk(1 + i % 50)}; break;
      case 1: frames = {"", "MDPC01"}; break;                     // no service, no body
      case 2: frames = {"", "MDPW01", "\x03", "nobody", ""};  break;  // REPLY from a stranger
      case 3: frames = {"", "MDPX99", "dev", "{}"}; break;       // unknown protocol
      case 4: frames = {"", "MDPC01", "dev", "not json"}; break; // reaches the worker: parse error
      case 5: frames = {"", "MDPW01", "\x01", "dev", "zero"}; break;  // READY with a bad credit
    }
    for (std::size_t f = 0; f < frames.size(); ++f)
      vandal.send(zmq::buffer(frames[f]), f + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  CHECK(roc::test::wait_until([&] { return good > 200; }));
  stop = true;
  caller.join();
  CHECK(bad == 0);
  CHECK(rig.broker->stats().dropped > 0);
  CHECK(dev.call<int>("add", 2, 2) == 4);
}

TEST_CASE("after a broker restart the server registers again and the same client works") {
  Rig rig;
  auto dev = rig.dev().with_timeout(300ms);
  CHECK(dev.call<int>("add", 1, 1) == 2);
  const auto address = rig.endpoints.address();

  rig.broker->stop();
  rig.broker.reset();
  CHECK_THROWS_AS(dev.call("add", 1, 1), roc::BrokerUnreachable);

  rig.broker = std::make_unique<roc::Broker>(fast_broker(address));
  rig.broker->start();
  CHECK(roc::test::wait_until([&] { return rig.broker->workers()["dev"] == 1; }, 5s));
  CHECK(roc::test::wait_until(
      [&] {
        try {
          return dev.call<int>("add", 2, 3) == 5;
        } catch (const roc::Error&) {
          return false;
        }
      },
      5s));
  // The asynchronous calls go through a socket of their own, which reconnects on its own retry
  // timer: until it has, a call fails at once as unreachable (the last attempt's outcome), so
  // it too is given the few retry intervals the synchronous one was.
  CHECK(roc::test::wait_until(
      [&] {
        try {
          return dev.call_async<int>("add", 3, 3).get() == 6;
        } catch (const roc::Error&) {
          return false;
        }
      },
      5s));
}

TEST_CASE("a server killed mid-call: the caller gets -32002 at once, not a hang") {
  Rig rig;
  auto child = std::make_unique<roc::test::Child>(std::vector<std::string>{
      roc::test::executable_dir() + "/roc_test_object_server", rig.endpoints.address(), "victim"});
  REQUIRE(roc::test::wait_until([&] { return rig.client->exists("victim"); }));
  auto victim = rig.client->object("victim").with_timeout(20s);
  auto pending = victim.call_async<std::int64_t>("sleep_ms", 15000);
  std::this_thread::sleep_for(200ms);  // let the request reach the child (nothing to wait on)
  const auto start = std::chrono::steady_clock::now();
  child.reset();  // SIGKILL: no DISCONNECT, the broker finds out by the missing heartbeats
  try {
    pending.get();
    FAIL("no exception");
  } catch (const roc::RemoteError& e) {
    CHECK(e.code() == roc::error_code::object_gone);
    CHECK(e.message().find("victim") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(rig.dev().call<int>("add", 1, 2) == 3);  // everyone else is unaffected
}

TEST_CASE("a call longer than the heartbeat expiry: heartbeats go on, the worker stays, the reply arrives") {
  // Default heartbeats (2.5 s x 3 = 7.5 s expiry) and a 10 s exposure, as in a real camera.
  roc::BrokerOptions broker_options;
  broker_options.bind = "127.0.0.1:0";
  Rig rig(broker_options, roc::ServerOptions{});
  auto dev = rig.dev().with_timeout(15s);
  CHECK(dev.call<std::int64_t>("sleep_ms", 10000) == 10000);
  CHECK(rig.broker->workers()["dev"] == 1);
  CHECK(rig.broker->stats().expired_workers == 0);
  CHECK(dev.call<int>("add", 1, 2) == 3);
}

TEST_CASE("a server with default heartbeats keeps pace with a broker that beats faster, idle and in a long call") {
  // The broker drops a worker after three of its own intervals (300 ms here); a server left at
  // its 2.5 s default used to be dropped and to register again over and over.
  roc::ServerOptions server_options;
  server_options.heartbeat_interval = 2500ms;
  Rig rig(fast_broker(), server_options);
  std::this_thread::sleep_for(1200ms);
  auto dev = rig.dev().with_timeout(5s);
  CHECK(dev.call<std::int64_t>("sleep_ms", 1200) == 1200);
  CHECK(rig.broker->stats().expired_workers == 0);
  CHECK(rig.broker->workers()["dev"] == 1);
}

TEST_CASE("a proxy signature that differs from the object's is refused by name") {
  roc::Broker broker{fast_broker()};
  broker.start();
  Device device;
  auto binding = roc::Binding<Device>("testing_lab::Device").method("tag", &Device::tag).signature("v2-abcdef");
  roc::Server server{broker.endpoints(), fast_server()};
  server.publish("signed", device, binding);
  server.start();
  roc::Client client{broker.endpoints()};
  REQUIRE(roc::test::wait_until([&] { return client.exists("signed"); }));

  auto stale = client.object("signed");
  stale.expect_signature("v1-012345");
  CHECK_THROWS_WITH_AS(stale.call("tag"), doctest::Contains("signature mismatch: object 'signed'"),
                       roc::SignatureMismatch);
  auto current = client.object("signed");
  current.expect_signature("v2-abcdef");
  CHECK(current.call<std::string>("tag") == "device");
}
