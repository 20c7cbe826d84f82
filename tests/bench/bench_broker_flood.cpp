// Broker memory under a call flood: one client sends N calls (default 200k) to a slow object
// (credit 1, 100 ms a call) through a rocbroker child process; prints the broker's RSS before,
// during and after the flood and after the client disconnects, and how many calls still ran
// once it had gone. Run it against any rocbroker (--broker) to compare versions.
#include "support/process.hpp"

#include <roc/roc.hpp>

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Slow {
  std::chrono::milliseconds each{100};
  std::atomic<long> runs{0};
  long work() {
    std::this_thread::sleep_for(each);
    return ++runs;
  }
};

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM); -1 when unreadable.
long status_kib(int pid, const std::string& field) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::istringstream value(line.substr(field.size() + 1));
    long kib = -1;
    value >> kib;
    return kib;
  }
  return -1;
}

std::string mib(long kib) { return kib < 0 ? "?" : fmt::format("{:.1f} MiB", kib / 1024.0); }

// The calls endpoint rocbroker printed ("rocbroker: calls tcp://...  publish ..."), within 10 s.
std::optional<std::string> printed_endpoint(const std::string& output_file) {
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    std::ifstream in(output_file);
    const std::string prefix = "rocbroker: calls ";
    for (std::string line; std::getline(in, line);)
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size(), line.find(' ', prefix.size()) - prefix.size());
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measures the broker's RSS under a flood of calls to a slow object, and after the client leaves."};
  roc::cli::set_program(app, "bench_broker_flood");
  std::string broker_path = ROC_BROKER;
  int calls = 200'000;
  long sleep_ms = 100;
  long timeout_ms = 600'000;
  long settle_ms = 3000;
  app.add_option("--broker", broker_path, "rocbroker executable to measure")->capture_default_str();
  app.add_option("-n,--calls", calls, "calls in the flood")->capture_default_str();
  app.add_option("--sleep-ms", sleep_ms, "how long the slow object takes per call")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms,
                 "the flooding client's call timeout (long by default, so the queue bound, not the "
                 "deadline, is what limits the broker)")
      ->capture_default_str();
  app.add_option("--settle-ms", settle_ms, "how long to watch after the flood is sent and after the client leaves")
      ->capture_default_str();
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;
  spdlog::set_level(spdlog::level::warn);

  const std::string output = (std::filesystem::temp_directory_path() / fmt::format("roc-bench-flood-{}.log", ::getpid())).string();
  roc::test::Child broker({broker_path, "--bind", "127.0.0.1:0"}, output);
  const auto calls_endpoint = printed_endpoint(output);
  if (!calls_endpoint) {
    fmt::print(stderr, "bench_broker_flood: {} printed no endpoint\n", broker_path);
    return 1;
  }
  const roc::Endpoints endpoints(*calls_endpoint);
  const int pid = broker.pid();

  Slow slow;
  slow.each = std::chrono::milliseconds(sleep_ms);
  roc::ServerOptions server_options;
  server_options.credit = 1;  // everything behind the running call waits at the broker
  roc::Server server(endpoints, server_options);
  server.publish("slow", slow, roc::Binding<Slow>("bench::Slow").method("work", &Slow::work));
  server.start();

  roc::ClientOptions client_options;
  client_options.timeout = std::chrono::milliseconds(timeout_ms);
  auto client = std::make_unique<roc::Client>(endpoints, client_options);
  while (!client->exists("slow")) std::this_thread::sleep_for(10ms);

  const long idle = status_kib(pid, "VmRSS");
  fmt::print("broker {} (pid {})\n", broker_path, pid);
  fmt::print("{:<44} {}\n", "RSS idle", mib(idle));

  std::vector<std::future<long>> results;
  results.reserve(calls);
  const auto start = Clock::now();
  {
    auto handle = client->object("slow");  // shares the client: must be gone when the client goes
    for (int i = 0; i < calls; ++i) results.push_back(handle.call_async<long>("work"));
  }

  long peak = idle;
  const auto watch_until = Clock::now() + std::chrono::milliseconds(settle_ms);
  while (Clock::now() < watch_until) {
    peak = std::max(peak, status_kib(pid, "VmRSS"));
    std::this_thread::sleep_for(50ms);
  }
  const long after_flood = status_kib(pid, "VmRSS");
  int ok = 0, busy = 0, timed_out = 0, other = 0, pending = 0;
  for (auto& f : results) {
    if (f.wait_for(0s) != std::future_status::ready) {
      ++pending;
      continue;
    }
    try {
      f.get();
      ++ok;
    } catch (const roc::ObjectBusy&) {
      ++busy;
    } catch (const roc::TimeoutError&) {
      ++timed_out;
    } catch (const std::exception&) {
      ++other;
    }
  }
  fmt::print("{:<44} {} (peak {} while watching; {} calls sent in {:.1f} s)\n",
             fmt::format("RSS {:.1f} s after the flood", settle_ms / 1000.0), mib(after_flood), mib(peak), calls,
             std::chrono::duration<double>(Clock::now() - start).count() - settle_ms / 1000.0);
  fmt::print("{:<44} {} ok, {} busy (-32005), {} timed out, {} other errors, {} still waiting\n", "calls so far",
             ok, busy, timed_out, other, pending);

  results.clear();
  client.reset();  // the flooding client disconnects
  const long runs_at_disconnect = slow.runs;
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  const long after_disconnect = status_kib(pid, "VmRSS");
  fmt::print("{:<44} {}\n", fmt::format("RSS {:.1f} s after the client left", settle_ms / 1000.0),
             mib(after_disconnect));
  fmt::print("{:<44} {}\n", "calls run after the client left", slow.runs - runs_at_disconnect);
  fmt::print("{:<44} {}\n", "peak RSS of the broker (VmHWM)", mib(status_kib(pid, "VmHWM")));

  server.stop();
  broker.terminate();
  broker.wait(5s);
  return 0;
}
