// Bulk-transfer benchmark: camera-sized frames returned by a method, MiB/s through roc against
// raw libzmq two hops moving the same bytes, side by side in one run, each as three processes
// (bench_processes.hpp) pinned to one CPU. roc's typed call<std::vector<std::uint16_t>> asks for
// attachments when the runtime has them; until then the frame travels as a JSON array.
#include "bench_processes.hpp"
#include "bench_support.hpp"

#include <roc/roc.hpp>

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <future>
#include <stdexcept>
#include <thread>

using namespace roc::bench;

namespace {

constexpr double mib = 1024.0 * 1024.0;

struct Size {
  int width, height;
  std::size_t bytes() const { return static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 2; }
};

/// Frames per second over `count` frames with `window` in flight.
template <class Start, class Wait>
double frames_per_second(int count, int window, Start&& start, Wait&& wait) {
  return rate([&](int n) { pipeline(n, window, start, wait); }, count);
}

}  // namespace

static int run_benchmark(int argc, char** argv) {
  CLI::App app{"Measures frames returned by a roc method against raw libzmq two hops moving the same bytes."};
  roc::cli::set_program(app, "bench_frames");
  int count = 200;
  int json_count = 6;
  int window = 4;
  int cpu = 0;
  bool no_pin = false;
  app.add_option("-n,--count", count, "Frames per measurement (raw, and roc with attachments)")->capture_default_str();
  app.add_option("--json-count", json_count, "Frames per measurement when roc moves them as JSON")->capture_default_str();
  app.add_option("-w,--window", window, "Frames in flight in the pipelined figure")->capture_default_str();
  app.add_option("--cpu", cpu, "CPU to pin the whole benchmark (and its child processes) to")->capture_default_str();
  app.add_flag("--no-pin", no_pin, "Do not pin to one CPU");
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;
  if (!no_pin && !pin_to_cpu(cpu)) fmt::print(stderr, "warning: could not pin to CPU {}\n", cpu);
  spdlog::set_level(spdlog::level::warn);

  fmt::print("frames returned by a method, 3 processes on one CPU{}; MiB/s one at a time and {} in flight\n",
             no_pin ? " (not pinned)" : "", window);
  fmt::print("{:<34} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}\n", "frame", "raw MiB/s", "raw w", "roc MiB/s", "roc w",
             "roc/raw", "w ratio");
  for (const Size size : {Size{1024, 768}, Size{2048, 2048}}) {
    double raw_1 = 0, raw_w = 0;
    {
      RawTwoHop raw(false, size.bytes());
      for (int i = 0; i < 5; ++i) raw.round_trip();
      raw_1 = frames_per_second(count, 1, [&] { raw.send(); }, [&] {
        if (raw.receive() != size.bytes()) throw std::runtime_error("raw reply of the wrong size");
      });
      raw_w = frames_per_second(count, window, [&] { raw.send(); }, [&] { (void)raw.receive(); });
    }
    // Received into a std::vector (one copy out of the frame), and viewed in place as a
    // roc::NdArray (no copy): the same bytes on the wire.
    struct Figures {
      double one = 0, window = 0;
    };
    auto measure = [&](auto decoded) {
      using Result = decltype(decoded);
      RocTwoHop hops(RocTwoHop::Security::plaintext, Served::frames);
      roc::Client client{hops.endpoints()};
      while (!client.exists("frames")) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      auto handle = client["frames"];
      auto grab = [&] { return handle.call<Result>("frame", size.width, size.height); };
      const auto first = grab();
      if (first.size() * 2 != size.bytes()) throw std::runtime_error("roc frame of the wrong size");
      // A JSON frame takes ~0.1-1 s: measure as many as the attachment path only when it is fast.
      const auto start = Clock::now();
      (void)grab();
      const bool slow = Clock::now() - start > std::chrono::milliseconds(20);
      const int n = slow ? json_count : count;
      Figures f;
      f.one = frames_per_second(n, 1, [&] { (void)grab(); }, [] {});
      std::deque<std::future<Result>> in_flight;
      f.window = frames_per_second(
          n, window, [&] { in_flight.push_back(handle.call_async<Result>("frame", size.width, size.height)); },
          [&] {
            (void)in_flight.front().get();
            in_flight.pop_front();
          });
      return f;
    };
    const Figures vector = measure(std::vector<std::uint16_t>{});
    const Figures view = measure(roc::NdArray<std::uint16_t>{});
    const double to_mib = size.bytes() / mib;
    for (const auto& [how, f] : {std::pair<const char*, Figures>{"vector", vector}, {"NdArray view", view}})
      fmt::print("{:<34} {:>10.0f} {:>10.0f} {:>10.0f} {:>10.0f} {:>7.3f}x {:>7.3f}x\n",
                 fmt::format("{}x{} ({:.1f} MiB) {}", size.width, size.height, to_mib, how), raw_1 * to_mib,
                 raw_w * to_mib, f.one * to_mib, f.window * to_mib, f.one / raw_1, f.window / raw_w);
  }
  return 0;
}

int main(int argc, char** argv) { return benchmark_main("bench_frames", argc, argv, run_benchmark); }
