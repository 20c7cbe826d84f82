// Status updates per second from one StatusUpdater through an in-process broker to 1 and to 10
// subscribers (each with its own socket and thread, as separate programs would have).
#include "bench_support.hpp"

#include <roc/broker.hpp>
#include <roc/status.hpp>

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using roc::bench::Clock;

void measure(int subscribers, int count) {
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  roc::Broker broker(options);
  broker.start();
  const auto endpoints = broker.endpoints();
  roc::StatusUpdater updater(endpoints);
  updater.flush(std::chrono::seconds(5));

  std::vector<std::unique_ptr<roc::StatusSubscription>> subs;
  for (int s = 0; s < subscribers; ++s) {
    subs.push_back(std::make_unique<roc::StatusSubscription>(endpoints, std::vector<std::string>{"bench"},
                                                             std::chrono::milliseconds(100)));
    while (!subs.back()->synced()) subs.back()->next(std::chrono::milliseconds(50));
  }
  std::vector<std::atomic<int>> received(subscribers);
  std::atomic<bool> go{false};
  std::vector<std::thread> readers;
  std::vector<Clock::time_point> finished(subscribers);
  for (int s = 0; s < subscribers; ++s)
    readers.emplace_back([&, s] {
      while (!go) std::this_thread::yield();
      const auto give_up = Clock::now() + std::chrono::seconds(60);
      int n = 0;
      while (n < count && Clock::now() < give_up) {
        if (subs[s]->next(std::chrono::milliseconds(500))) ++n;
        else if (n > 0) break;  // quiet for 500 ms after updates: the rest were dropped
      }
      received[s] = n;
      finished[s] = Clock::now();
    });
  const auto start = Clock::now();
  go = true;
  for (int i = 0; i < count; ++i) updater.emit("bench.d" + std::to_string(i % 100) + ".value", i);
  const auto emitted = Clock::now();
  for (auto& t : readers) t.join();
  const auto end = *std::max_element(finished.begin(), finished.end());
  long total = 0;
  for (auto& r : received) total += r;
  const double seconds = std::chrono::duration<double>(end - start).count();
  fmt::print("{:>2} subscriber(s): {:>9.0f} updates/s delivered to each ({:.0f} emitted/s by the caller), "
             "{} of {} received, {} dropped by the updater\n",
             subscribers, count / seconds, count / std::chrono::duration<double>(emitted - start).count(), total,
             static_cast<long>(count) * subscribers, updater.dropped());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Status updates per second through the broker to 1 and 10 subscribers."};
  roc::cli::set_program(app, "bench_status");
  int count = 100000;
  app.add_option("-n,--count", count, "Updates per run")->capture_default_str();
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;
  measure(1, count);
  measure(10, count);
  return 0;
}
