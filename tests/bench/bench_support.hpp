// Shared by the benchmarks: CPU pinning, latency statistics, and the table they print.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace roc::bench {

using Clock = std::chrono::steady_clock;

/// Pins this process (and every thread it starts afterwards) to one CPU; crossing CPUs on a
/// 2-vCPU machine doubles round trips and makes them noisy. Returns false when refused.
bool pin_to_cpu(int cpu);

/// Latency figures in microseconds.
struct Latency {
  double median_us = 0;
  double p99_us = 0;
};

/// Median and 99th percentile of `samples` (sorted in place).
Latency summarize(std::vector<double>& samples_us);

/// Times `count` sequential runs of `call` after `warmup` untimed ones.
template <class F>
Latency time_sequential(F&& call, int count, int warmup = 1000) {
  for (int i = 0; i < warmup; ++i) call();
  std::vector<double> samples;
  samples.reserve(count);
  for (int i = 0; i < count; ++i) {
    auto start = Clock::now();
    call();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return summarize(samples);
}

/// Calls per second of `run(count)`, which must complete `count` calls.
template <class F>
double rate(F&& run, int count) {
  auto start = Clock::now();
  run(count);
  return count / std::chrono::duration<double>(Clock::now() - start).count();
}

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

}  // namespace roc::bench
