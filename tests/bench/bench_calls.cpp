// Call benchmark: roc through its broker, side by side in one run with the floor of any brokered
// design — raw libzmq two hops (DEALER client → zmq_proxy ROUTER/DEALER → ROUTER echo worker) —
// each measured as three processes (bench_processes.hpp) pinned to one CPU.
#include "bench_processes.hpp"
#include "bench_support.hpp"

#include <roc/roc.hpp>

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <future>
#include <optional>
#include <string>
#include <thread>

using namespace roc::bench;

namespace {

struct Row {
  std::string name;
  Latency latency;
  double rate_1 = 0, rate_64 = 0;
};

/// The floor measured before and after roc's rows, averaged figure by figure: on a shared
/// machine the load drifts within a run, and a floor taken only before would skew every ratio.
Row bracketed(const std::string& name, const Row& before, const Row& after) {
  Row row{name};
  row.latency.median_us = (before.latency.median_us + after.latency.median_us) / 2;
  row.latency.p99_us = (before.latency.p99_us + after.latency.p99_us) / 2;
  row.rate_1 = (before.rate_1 + after.rate_1) / 2;
  row.rate_64 = (before.rate_64 + after.rate_64) / 2;
  return row;
}

void print(const Row& row, const Row& floor) {
  fmt::print("{:<33} {:>9.1f} {:>9.1f} {:>12.0f} {:>12.0f}   {:>5.2f}x {:>5.2f}x {:>6.3f}x {:>6.3f}x\n", row.name,
             row.latency.median_us, row.latency.p99_us, row.rate_1, row.rate_64,
             row.latency.median_us / floor.latency.median_us, row.latency.p99_us / floor.latency.p99_us,
             row.rate_1 / floor.rate_1, row.rate_64 / floor.rate_64);
}

}  // namespace

static int run_benchmark(int argc, char** argv) {
  CLI::App app{"Measures roc calls through the broker against raw libzmq two hops, each as three processes."};
  roc::cli::set_program(app, "bench_calls");
  int count = 20000;
  int cpu = 0;
  bool no_pin = false, no_curve = false;
  app.add_option("-n,--count", count, "Calls per measurement")->capture_default_str();
  app.add_option("--cpu", cpu, "CPU to pin the whole benchmark (and its child processes) to")->capture_default_str();
  app.add_flag("--no-pin", no_pin, "Do not pin to one CPU");
  app.add_flag("--no-curve", no_curve, "Measure plaintext only");
  std::string only;
  app.add_option("--only", only, "Measure only the floor or only roc add(), 64 in flight, count x 5 calls (for profilers)")
      ->check(CLI::IsMember({"floor", "roc"}));
  std::string broker, object_id = "device";
  app.add_option("--broker", broker,
                 "Measure only the roc client against this running broker (its object --object has add(int,int)), "
                 "e.g. to compare other clients on the same broker and server");
  app.add_option("--object", object_id, "The object --broker measures")->capture_default_str();
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;
  if (!no_pin && !pin_to_cpu(cpu)) fmt::print(stderr, "warning: could not pin to CPU {}\n", cpu);
  spdlog::set_level(spdlog::level::warn);

  auto measure_raw = [&](const std::string& name, bool curve) {
    Row row{name};
    RawTwoHop echo(curve);
    if (!only.empty()) {
      for (int i = 0; i < 1000; ++i) echo.round_trip();
      row.rate_64 = rate([&](int n) { pipeline(n, 64, [&] { echo.send(); }, [&] { (void)echo.receive(); }); }, count * 5);
      return row;
    }
    row.latency = time_sequential([&] { echo.round_trip(); }, count);
    row.rate_1 = rate([&](int n) { for (int i = 0; i < n; ++i) echo.round_trip(); }, count);
    row.rate_64 = rate([&](int n) { pipeline(n, 64, [&] { echo.send(); }, [&] { (void)echo.receive(); }); }, count * 5);
    return row;
  };

  // The same calls through a plaintext broker, through one with CURVE admitting any key (the cost
  // of the encryption alone), and through one with an allow directory holding the server's and
  // the client's keys (every message's key is checked against it, as in a lab).
  using Security = RocTwoHop::Security;
  // rpc.ping and add(20, 22) on `handle`: sequential, and 64 in flight.
  auto measure_object = [&](roc::ObjectHandle handle, const std::string& tag) {
    auto measure = [&](const std::string& name, auto&& sync_call, auto&& async_call) {
      Row row{name};
      if (only.empty()) {
        row.latency = time_sequential(sync_call, count);
        row.rate_1 = rate([&](int n) { for (int i = 0; i < n; ++i) sync_call(); }, count);
      } else {
        for (int i = 0; i < 1000; ++i) sync_call();
      }
      row.rate_64 = rate(
          [&](int n) {
            std::deque<decltype(async_call())> in_flight;
            pipeline(n, 64, [&] { in_flight.push_back(async_call()); }, [&] {
              in_flight.front().get();
              in_flight.pop_front();
            });
          },
          count * 5);
      return row;
    };
    if (!only.empty()) return std::pair{Row{}, measure("add", [&] { (void)handle.call<int>("add", 20, 22); },
                                                     [&] { return handle.call_async<int>("add", 20, 22); })};
    Row ping = measure("roc rpc.ping" + tag, [&] { handle.ping(); },
                       [&] { return handle.call_async<void>("rpc.ping"); });
    Row add = measure("roc add(int,int)->int" + tag, [&] { (void)handle.call<int>("add", 20, 22); },
                      [&] { return handle.call_async<int>("add", 20, 22); });
    return std::pair{ping, add};
  };
  // Long calls (issue 12): a method that takes the context but reports nothing, against add();
  // how many progress events a caller receives per second; how soon a cancel reaches the method.
  struct LongCalls {
    Row add_in_context;
    double events_per_s = 0, events_lost = 0;
    double cancel_to_method_us = 0, cancel_to_caller_us = 0;
  };
  auto measure_long_calls = [&](roc::ObjectHandle handle) {
    LongCalls out;
    out.add_in_context = Row{"roc add(int,int,CallContext&)"};
    out.add_in_context.latency = time_sequential([&] { (void)handle.call<int>("add_in_context", 20, 22); }, count);
    out.add_in_context.rate_1 = rate(
        [&](int n) { for (int i = 0; i < n; ++i) (void)handle.call<int>("add_in_context", 20, 22); }, count);
    out.add_in_context.rate_64 = rate(
        [&](int n) {
          std::deque<std::future<int>> in_flight;
          pipeline(n, 64, [&] { in_flight.push_back(handle.call_async<int>("add_in_context", 20, 22)); }, [&] {
            in_flight.front().get();
            in_flight.pop_front();
          });
        },
        count * 5);

    const int events = count * 5;
    std::atomic<int> received{0};
    roc::CallOptions options;
    options.on_progress = [&](const roc::Progress&) { ++received; };
    const auto start = std::chrono::steady_clock::now();
    (void)handle.with_timeout(std::chrono::seconds(60)).start<int>("report", options, events).get();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.events_per_s = received / seconds;
    out.events_lost = events - received;

    std::vector<double> to_method, to_caller;
    for (int i = 0; i < 50; ++i) {
      auto call = handle.with_timeout(std::chrono::seconds(20)).start<void>("hold", roc::CallOptions{});
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // running, waiting on its context
      const auto cancelled = std::chrono::steady_clock::now();
      call.cancel();
      try {
        call.get();
      } catch (const roc::Cancelled&) {
      }
      to_caller.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - cancelled).count());
      const auto seen = std::chrono::nanoseconds(handle.call<std::int64_t>("cancel_seen"));
      to_method.push_back(std::chrono::duration<double, std::micro>(seen - cancelled.time_since_epoch()).count());
    }
    out.cancel_to_method_us = summarize(to_method).median_us;
    out.cancel_to_caller_us = summarize(to_caller).median_us;
    return out;
  };
  std::optional<LongCalls> long_calls;
  auto run_roc = [&](Security security) {
    RocTwoHop hops(security, Served::adder);
    roc::Client client{hops.endpoints()};
    while (!client.exists("adder")) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::string tag = security == Security::plaintext ? "" : security == Security::curve ? " CURVE" : " CURVE+allow";
    auto rows = measure_object(client[std::string("adder")], tag);
    if (security == Security::plaintext && only.empty()) long_calls = measure_long_calls(client[std::string("adder")]);
    return rows;
  };
  if (!broker.empty()) {
    roc::Client client{roc::Endpoints::resolve(broker, "", "")};
    const auto [ping, add] = measure_object(client[object_id], "");
    fmt::print("the C++ client against {} '{}', {} calls per figure\n", broker, object_id, count);
    fmt::print("{:<33} {:>9} {:>9} {:>12} {:>12}\n", "", "median us", "p99 us", "1 in flight", "64 in flight");
    for (const Row& row : {ping, add})
      fmt::print("{:<33} {:>9.1f} {:>9.1f} {:>12.0f} {:>12.0f}\n", row.name, row.latency.median_us, row.latency.p99_us,
                 row.rate_1, row.rate_64);
    return 0;
  }
  if (!only.empty()) {
    const double calls_per_s = only == "floor" ? measure_raw("floor", false).rate_64 : run_roc(Security::plaintext).second.rate_64;
    fmt::print("{} 64 in flight: {:.0f} calls/s\n", only, calls_per_s);
    return 0;
  }
  const Row raw_before = measure_raw("", false);
  const auto [ping, add] = run_roc(Security::plaintext);
  const Row raw = bracketed("raw zmq 2 hops (floor)", raw_before, measure_raw("", false));

  fmt::print("\nround trips through a broker, 3 processes on one CPU{}, {} calls per figure; the floor is the mean of\n"
             "a measurement before and one after roc's rows\n",
             no_pin ? " (not pinned)" : "", count);
  fmt::print("{:<33} {:>9} {:>9} {:>12} {:>12}   {:>6} {:>6} {:>7} {:>7}\n", "", "median", "p99", "calls/s", "calls/s",
             "median", "p99", "rate 1", "rate 64");
  fmt::print("{:<33} {:>9} {:>9} {:>12} {:>12}   {:>6} {:>6} {:>7} {:>7}\n", "", "us", "us", "1 in flight",
             "64 in flight", "/floor", "/floor", "/floor", "/floor");
  print(raw, raw);
  print(ping, raw);
  print(add, raw);
  print(long_calls->add_in_context, raw);
  fmt::print("long calls: {:.0f} progress events/s to one caller ({:.0f} of {} dropped under back-pressure); a cancel "
             "reaches the running method in {:.0f} us and its caller has -32008 in {:.0f} us (medians of 50)\n",
             long_calls->events_per_s, long_calls->events_lost, count * 5, long_calls->cancel_to_method_us,
             long_calls->cancel_to_caller_us);
  if (no_curve) return 0;
  const Row raw_curve_before = measure_raw("", true);
  const auto [ping_curve, add_curve] = run_roc(Security::curve);
  const auto [ping_allow, add_allow] = run_roc(Security::curve_allow);
  const Row raw_curve = bracketed("raw zmq 2 hops CURVE (floor)", raw_curve_before, measure_raw("", true));
  fmt::print("with CURVE, against the CURVE floor\n");
  print(raw_curve, raw_curve);
  print(ping_curve, raw_curve);
  print(add_curve, raw_curve);
  print(ping_allow, raw_curve);
  print(add_allow, raw_curve);
  return 0;
}

int main(int argc, char** argv) { return benchmark_main("bench_calls", argc, argv, run_benchmark); }
