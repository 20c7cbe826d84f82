// Call benchmark: roc through its broker, side by side with the floor of any brokered design —
// a raw libzmq two-hop echo (DEALER → ROUTER/DEALER proxy → REP worker) — in one run, one CPU.
#include "bench_support.hpp"

#include <roc/roc.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <future>
#include <thread>

using namespace roc::bench;

namespace {

/// The raw echo: a proxy thread and an echo worker thread, driven by a DEALER client. Client,
/// proxy and worker each have their own context (and so their own I/O thread), as the separate
/// processes they stand for would — and as roc's client, broker and server do here. With
/// `curve`, both hops speak CURVE (any key admitted): the floor for roc with CURVE.
class RawEcho {
 public:
  explicit RawEcho(bool curve = false) {
    std::optional<roc::Certificate> server_key, client_key;
    if (curve) {
      server_key = roc::Certificate::generate();
      client_key = roc::Certificate::generate();
      for (auto* s : {&frontend_, &backend_}) {
        s->set(zmq::sockopt::curve_server, 1);
        s->set(zmq::sockopt::curve_secretkey, server_key->secret_key());
      }
    }
    auto secure_client = [server_key, client_key](zmq::socket_t& s) {
      if (!server_key) return;
      s.set(zmq::sockopt::curve_serverkey, server_key->public_key());
      s.set(zmq::sockopt::curve_publickey, client_key->public_key());
      s.set(zmq::sockopt::curve_secretkey, client_key->secret_key());
    };
    frontend_.bind("tcp://127.0.0.1:*");
    backend_.bind("tcp://127.0.0.1:*");
    auto front = frontend_.get(zmq::sockopt::last_endpoint);
    auto back = backend_.get(zmq::sockopt::last_endpoint);
    proxy_ = std::thread([this] {
      try {
        zmq::proxy_steerable(frontend_, backend_, zmq::socket_ref(), control_sub_);
      } catch (const zmq::error_t&) {
      }
    });
    worker_ = std::thread([this, back, secure_client] {
      zmq::socket_t rep(worker_context_, zmq::socket_type::rep);
      secure_client(rep);
      rep.connect(back);
      zmq::socket_t stop(worker_context_, zmq::socket_type::sub);
      stop.connect("inproc://raw-stop-worker");
      stop.set(zmq::sockopt::subscribe, "");
      zmq::pollitem_t items[] = {{static_cast<void*>(rep), 0, ZMQ_POLLIN, 0}, {static_cast<void*>(stop), 0, ZMQ_POLLIN, 0}};
      for (;;) {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
        if (items[1].revents & ZMQ_POLLIN) return;
        zmq::message_t m;
        (void)rep.recv(m);
        rep.send(m, zmq::send_flags::none);
      }
    });
    secure_client(client_);
    client_.connect(front);
  }
  ~RawEcho() {
    control_pub_.send(zmq::str_buffer("TERMINATE"));
    stop_pub_.send(zmq::str_buffer("x"));
    proxy_.join();
    worker_.join();
  }

  void send() {
    client_.send(zmq::message_t(), zmq::send_flags::sndmore);
    client_.send(zmq::buffer(payload_), zmq::send_flags::none);
  }
  void receive() {
    zmq::message_t empty, body;
    (void)client_.recv(empty);
    (void)client_.recv(body);
  }
  void round_trip() {
    send();
    receive();
  }

 private:
  zmq::context_t context_{1};  // the proxy's
  zmq::context_t worker_context_{1};
  zmq::context_t client_context_{1};
  zmq::socket_t frontend_{context_, zmq::socket_type::router};
  zmq::socket_t backend_{context_, zmq::socket_type::dealer};
  zmq::socket_t control_pub_ = bound(zmq::socket_type::pub, "inproc://raw-control");
  zmq::socket_t control_sub_ = connected_sub("inproc://raw-control");
  zmq::socket_t stop_pub_ = bound_in(worker_context_, zmq::socket_type::pub, "inproc://raw-stop-worker");
  zmq::socket_t client_{client_context_, zmq::socket_type::dealer};
  std::string payload_ = std::string(64, 'p');
  std::thread proxy_, worker_;

  zmq::socket_t bound(zmq::socket_type type, const char* endpoint) { return bound_in(context_, type, endpoint); }
  static zmq::socket_t bound_in(zmq::context_t& context, zmq::socket_type type, const char* endpoint) {
    zmq::socket_t s(context, type);
    s.bind(endpoint);
    return s;
  }
  zmq::socket_t connected_sub(const char* endpoint) {
    zmq::socket_t s(context_, zmq::socket_type::sub);
    s.connect(endpoint);
    s.set(zmq::sockopt::subscribe, "");
    return s;
  }
};

/// Keeps `window` calls in flight until `count` have completed.
template <class Start, class Wait>
void pipeline(int count, int window, Start&& start, Wait&& wait) {
  int started = 0, finished = 0;
  while (finished < count) {
    while (started < count && started - finished < window) {
      start();
      ++started;
    }
    wait();
    ++finished;
  }
}

struct Adder {
  int add(int a, int b) const { return a + b; }
};

struct Row {
  std::string name;
  Latency latency;
  double rate_1 = 0, rate_64 = 0;
};

void print(const Row& row, const Row& floor) {
  fmt::print("{:<33} {:>9.1f} {:>9.1f} {:>12.0f} {:>12.0f}   {:>5.2f}x {:>5.2f}x {:>6.3f}x {:>6.3f}x\n", row.name,
             row.latency.median_us, row.latency.p99_us, row.rate_1, row.rate_64,
             row.latency.median_us / floor.latency.median_us, row.latency.p99_us / floor.latency.p99_us,
             row.rate_1 / floor.rate_1, row.rate_64 / floor.rate_64);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measures roc calls through the broker against a raw libzmq two-hop echo."};
  int count = 20000;
  int cpu = 0;
  bool no_pin = false;
  app.add_option("-n,--count", count, "Calls per measurement")->capture_default_str();
  app.add_option("--cpu", cpu, "CPU to pin the whole benchmark to")->capture_default_str();
  app.add_flag("--no-pin", no_pin, "Do not pin to one CPU");
  CLI11_PARSE(app, argc, argv);
  if (!no_pin && !pin_to_cpu(cpu)) fmt::print(stderr, "warning: could not pin to CPU {}\n", cpu);
  spdlog::set_level(spdlog::level::warn);

  auto measure_raw = [&](const std::string& name, bool curve) {
    Row row{name};
    RawEcho echo(curve);
    row.latency = time_sequential([&] { echo.round_trip(); }, count);
    row.rate_1 = rate([&](int n) { for (int i = 0; i < n; ++i) echo.round_trip(); }, count);
    row.rate_64 = rate([&](int n) { pipeline(n, 64, [&] { echo.send(); }, [&] { echo.receive(); }); }, count * 5);
    return row;
  };
  const Row raw = measure_raw("raw zmq echo (floor)", false);
  const Row raw_curve = measure_raw("raw zmq echo CURVE (floor)", true);

  // The same calls through a plaintext broker, through one with CURVE admitting any key (the cost
  // of the encryption alone), and through one with an allow directory holding the server's and
  // the client's keys (every message's key is checked against it, as in a lab).
  enum class Security { plaintext, curve, curve_allow };
  auto run_roc = [&](Security security) {
    const bool curve = security != Security::plaintext;
    roc::BrokerOptions options{"127.0.0.1:0"};
    std::string keys_dir;
    std::optional<roc::Credentials> server_credentials, client_credentials;
    if (curve) {
      char pattern[] = "/tmp/roc-bench-keys-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
      keys_dir = pattern;
      const auto broker_key = roc::Certificate::generate();
      auto admit = [&](const char* name) {
        auto key = roc::Certificate::generate();
        key.set_meta("name", name);
        key.public_only().save(keys_dir + "/" + name);
        return roc::Credentials{key, broker_key.public_only()};
      };
      server_credentials = admit("server");
      client_credentials = admit("client");
      options.certificate = broker_key;
      if (security == Security::curve_allow) options.allow_directory = keys_dir;
    }
    auto endpoints_with = [](roc::Endpoints e, const std::optional<roc::Credentials>& c) {
      e.set_credentials(c ? *c : roc::Credentials{});
      return e;
    };
    struct RemoveOnExit {  // after the broker is gone: it watches the directory while it runs
      std::string path;
      ~RemoveOnExit() {
        if (!path.empty()) std::filesystem::remove_all(path);
      }
    } cleanup{keys_dir};
    roc::Broker broker{options};
    broker.start();
    Adder adder;
    auto binding = roc::Binding<Adder>("bench::Adder").method("add", &Adder::add, {"a", "b"});
    roc::Server server{endpoints_with(broker.endpoints(), server_credentials)};
    server.publish("adder", adder, binding);
    server.start();
    roc::Client client{endpoints_with(broker.endpoints(), client_credentials)};
    while (!client.exists("adder")) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto handle = client["adder"];
    const std::string tag = !curve ? "" : security == Security::curve ? " CURVE" : " CURVE+allow";
    auto measure = [&](const std::string& name, auto&& sync_call, auto&& async_call) {
      Row row{name};
      row.latency = time_sequential(sync_call, count);
      row.rate_1 = rate([&](int n) { for (int i = 0; i < n; ++i) sync_call(); }, count);
      row.rate_64 = rate(
          [&](int n) {
            std::deque<std::future<int>> in_flight;
            pipeline(n, 64, [&] { in_flight.push_back(async_call()); }, [&] {
              in_flight.front().get();
              in_flight.pop_front();
            });
          },
          count * 5);
      return row;
    };
    Row ping = measure("roc rpc.ping" + tag, [&] { handle.ping(); },
                       [&] { return std::async(std::launch::deferred, [] { return 0; }); });
    // rpc.ping's async figure uses the same pipeline as add (below): a ping future is a void call.
    ping.rate_64 = rate(
        [&](int n) {
          std::deque<std::future<void>> in_flight;
          pipeline(n, 64, [&] { in_flight.push_back(handle.call_async<void>("rpc.ping")); }, [&] {
            in_flight.front().get();
            in_flight.pop_front();
          });
        },
        count * 5);
    Row add = measure("roc add(int,int)->int" + tag, [&] { (void)handle.call<int>("add", 20, 22); },
                      [&] { return handle.call_async<int>("add", 20, 22); });
    return std::pair{ping, add};
  };
  const auto [ping, add] = run_roc(Security::plaintext);
  const auto [ping_curve, add_curve] = run_roc(Security::curve);
  const auto [ping_allow, add_allow] = run_roc(Security::curve_allow);

  fmt::print("\nround trips through a broker, one CPU{}, {} calls per figure\n", no_pin ? " (not pinned)" : "", count);
  fmt::print("{:<33} {:>9} {:>9} {:>12} {:>12}   {:>6} {:>6} {:>7} {:>7}\n", "", "median", "p99", "calls/s", "calls/s",
             "median", "p99", "rate 1", "rate 64");
  fmt::print("{:<33} {:>9} {:>9} {:>12} {:>12}   {:>6} {:>6} {:>7} {:>7}\n", "", "us", "us", "1 in flight",
             "64 in flight", "/floor", "/floor", "/floor", "/floor");
  print(raw, raw);
  print(ping, raw);
  print(add, raw);
  fmt::print("with CURVE, against the CURVE floor\n");
  print(raw_curve, raw_curve);
  print(ping_curve, raw_curve);
  print(add_curve, raw_curve);
  print(ping_allow, raw_curve);
  print(add_allow, raw_curve);
  return 0;
}
