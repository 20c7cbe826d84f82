// A child process for the stale-status tests: emits {"alive":true,"beat":N} at a status path,
// once or every PERIOD_MS, prints "ready" once the broker has it, and runs until killed.
// Args: BROKER_ADDRESS PATH [PERIOD_MS (0: emit once)].
#include <roc/status.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BROKER_ADDRESS PATH [PERIOD_MS]\n", argv[0]);
    return 2;
  }
  const auto period = std::chrono::milliseconds(argc > 3 ? std::atoi(argv[3]) : 0);
  roc::StatusUpdater updater{roc::Endpoints{argv[1]}};
  long beat = 0;
  updater.emit(argv[2], std::map<std::string, long>{{"beat", beat}});
  if (!updater.flush(std::chrono::seconds(10))) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) {
    std::this_thread::sleep_for(period.count() > 0 ? period : std::chrono::milliseconds(1000));
    if (period.count() > 0) updater.emit(argv[2], std::map<std::string, long>{{"beat", ++beat}});
  }
}
