// Per-call cost of a generated proxy against the dynamic ObjectHandle it wraps: the same method,
// through the same in-process broker, alternating rounds so both see the same machine load.
// A program, run by hand (bench_codegen_proxy --help); pinned to one CPU like bench_calls.
#include "bench_support.hpp"
#include "device.roc.hpp"

#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/server.hpp>

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

template <class F>
double per_call_us(int calls, F&& f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) f(i);
  std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / calls;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Per-call cost of a generated proxy against the dynamic handle it wraps."};
  roc::cli::set_program(app, "bench_codegen_proxy");
  int calls = 5000;
  int rounds = 7;
  int cpu = 0;
  bool no_pin = false;
  app.add_option("-n,--calls", calls, "Sync calls per round")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("-r,--rounds", rounds, "Rounds (the median is reported)")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--cpu", cpu, "CPU to pin the whole benchmark to")->capture_default_str();
  app.add_flag("--no-pin", no_pin, "Do not pin to one CPU");
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;
  if (!no_pin && !roc::bench::pin_to_cpu(cpu)) fmt::print(stderr, "warning: could not pin to CPU {}\n", cpu);
  spdlog::set_level(spdlog::level::warn);
  roc::Broker broker{roc::BrokerOptions{"127.0.0.1:0"}};
  broker.start();
  e2e::Device device;
  roc::Server server{broker.endpoints()};
  server.publish("dev", device);
  server.start();
  roc::Client client{broker.endpoints()};
  while (!client.exists("dev")) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  auto proxy = client.proxy<e2e::Device>("dev");
  auto handle = client.object("dev");
  e2e::Outer outer;
  outer.items.resize(8);
  std::vector<double> proxy_scalar, dynamic_scalar, proxy_struct, dynamic_struct, proxy_inout, dynamic_inout,
      all_given, defaulted;
  std::string line;
  for (int r = 0; r < rounds; ++r) {
    dynamic_scalar.push_back(per_call_us(calls, [&](int i) { (void)handle.call<double>("scale", 1.5f, double(i)); }));
    proxy_scalar.push_back(per_call_us(calls, [&](int i) { (void)proxy.scale(1.5f, double(i)); }));
    dynamic_struct.push_back(per_call_us(calls, [&](int) { (void)handle.call<e2e::Outer>("grow", outer); }));
    proxy_struct.push_back(per_call_us(calls, [&](int) { (void)proxy.grow(outer); }));
    // An in/out parameter: the result is an object, decoded member by member into the caller's
    // variable; the same string sent as a plain parameter (greet) is the baseline.
    dynamic_inout.push_back(per_call_us(calls, [&](int) { (void)handle.call<std::string>("greet", std::string(16, 'x')); }));
    proxy_inout.push_back(per_call_us(calls, [&](int) {
      line.assign(16, 'x');
      (void)proxy.next_line(line);
    }));
    // Arguments left out, filled by the server from the IDL's defaults, against all given.
    all_given.push_back(per_call_us(calls, [&](int i) { (void)handle.call<double>("offset", double(i), 0.5, e2e::Color::green); }));
    defaulted.push_back(per_call_us(calls, [&](int i) { (void)handle.call<double>("offset", double(i)); }));
  }
  fmt::print("median of {} rounds x {} sync calls, us/call\n", rounds, calls);
  fmt::print("  scale(float, double) -> double   dynamic {:7.2f}   proxy {:7.2f}\n", median(dynamic_scalar),
             median(proxy_scalar));
  fmt::print("  grow(Outer) -> Outer (8 items)   dynamic {:7.2f}   proxy {:7.2f}\n", median(dynamic_struct),
             median(proxy_struct));
  fmt::print("  16-char string: plain greet      dynamic {:7.2f}   in/out next_line proxy {:7.2f}\n",
             median(dynamic_inout), median(proxy_inout));
  fmt::print("  offset(x, by, towards)           all given {:7.2f}   two left out (server defaults) {:7.2f}\n",
             median(all_given), median(defaulted));
  server.stop();
  broker.stop();
}
