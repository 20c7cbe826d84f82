// roc-logdump: subscribes to the broker's log records and writes them to disk as JSON lines,
// rotating by size and by day. A broker restart needs nothing: ZeroMQ reconnects and resubscribes.
#include "link_watch.hpp"
#include "log_levels.hpp"
#include "logdump_writer.hpp"

#include <roc/cli.hpp>
#include <roc/log_subscriber.hpp>
#include <roc/security.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roc-logdump — write every log record published through a roc broker to disk as JSON lines.\n"
               "Files: DIR/PREFIX-YYYY-MM-DD.N.jsonl (UTC day; N grows when --max-bytes is reached)."};
  roc::cli::set_program(app, "roc-logdump");
  roc::cli::BrokerArgs connection;
  std::string dir = ".", prefix = "roc", level;
  std::vector<std::string> nodes;
  std::uint64_t max_bytes = 64ull << 20;
  double connect_timeout_s = 10;
  connection.add_to(app);
  app.add_option("-d,--dir", dir, "Directory for the files (created when missing)")->capture_default_str();
  app.add_option("--prefix", prefix, "File name prefix")->capture_default_str();
  app.add_option("--max-bytes", max_bytes, "Start a new file before one grows past this size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("-l,--level", level, "Minimum level kept: trace, debug, info, warning, error, critical");
  app.add_option("-n,--node", nodes, "Keep only records from these nodes (repeatable)");
  app.add_option("--connect-timeout", connect_timeout_s,
                 "Seconds to wait for the broker at the start before giving up (exit 9); 0 waits forever")
      ->capture_default_str()
      ->check(roc::cli::seconds(/*zero_allowed=*/true))
      ->type_name("SECONDS");
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;
  roc::log::Filter filter;
  filter.nodes = nodes;
  if (!level.empty()) {
    const auto parsed = parse_level(level);
    if (!parsed) {
      std::cerr << "roc-logdump: --level must be one of trace, debug, info, warning, error, critical\n";
      return 2;
    }
    filter.min_level = *parsed;
  }

  try {
    const roc::Endpoints endpoints = connection.endpoints();
    roc::logdump::RotatingWriter writer(dir, prefix, max_bytes);
    roc::log::Subscription sub(endpoints, filter, std::chrono::milliseconds(200));
    roc::cli::LinkWatch link("roc-logdump", sub.endpoint(),
                             std::chrono::milliseconds(static_cast<long long>(connect_timeout_s * 1000)),
                             roc::cli::LinkWatch::Patience::connect_timeout);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cerr << "roc-logdump: writing records from " << sub.endpoint() << " to " << writer.current().string()
              << '\n';

    // Each next() reports at most one change of the connection: look after every one.
    auto next = [&](std::chrono::milliseconds timeout) {
      auto record = sub.next(timeout);
      link.update(sub.connected(), sub.link_failure());
      return record;
    };
    while (!stop_requested) {
      auto record = next(std::chrono::milliseconds(200));  // bounded: a signal is noticed
      // Write what is there, then flush once: one write syscall per burst, not per record.
      for (int burst = 0; record; record = next(std::chrono::milliseconds(0))) {
        writer.write(record->body);
        if (++burst == 10000) break;
      }
      writer.flush();
    }
    writer.flush();
  } catch (const roc::BrokerUnreachable& e) {
    std::cerr << "roc-logdump: " << e.what() << '\n';
    return 9;
  } catch (const roc::CertificateError& e) {
    std::cerr << "roc-logdump: " << e.what() << '\n';
    return 7;
  } catch (const std::invalid_argument& e) {  // a malformed --broker address or --node name
    std::cerr << "roc-logdump: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "roc-logdump: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
