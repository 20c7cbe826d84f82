// Benchmark plumbing: pinning and percentiles.
#include "bench_support.hpp"

#include <sched.h>

namespace roc::bench {

bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

Latency summarize(std::vector<double>& samples_us) {
  if (samples_us.empty()) return {};
  std::sort(samples_us.begin(), samples_us.end());
  auto at = [&](double q) { return samples_us[static_cast<std::size_t>(q * (samples_us.size() - 1))]; };
  return {at(0.5), at(0.99)};
}

}  // namespace roc::bench
