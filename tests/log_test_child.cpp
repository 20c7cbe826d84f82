// Child process for log_test: installs roc's log sink as node argv[2], logs argv[3] records
// through spdlog (one from a named logger), waits for them to leave, exits 0.
#include <roc/log.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  const roc::Endpoints endpoints(argv[1]);
  const std::string node = argv[2];
  const int count = std::atoi(argv[3]);
  spdlog::default_logger()->sinks().clear();  // keep the test output quiet: only roc's sink
  auto named = spdlog::default_logger()->clone("child.named");
  spdlog::register_logger(named);
  roc::log::install(endpoints, node);
  for (int i = 0; i < count; ++i) SPDLOG_INFO("record {} from {}", i, node);
  SPDLOG_LOGGER_WARN(named, "named logger from {}", node);
  const bool delivered = roc::log::sink()->drain(std::chrono::seconds(10));
  roc::log::uninstall();
  return delivered ? 0 : 1;
}
