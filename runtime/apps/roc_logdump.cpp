// roc-logdump: subscribes to the broker's log records and writes them to disk as JSON lines,
// rotating by size and by day. A broker restart needs nothing: ZeroMQ reconnects and resubscribes.
#include "log_levels.hpp"
#include "logdump_writer.hpp"

#include <roc/endpoints.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>
#include <zmq.hpp>

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

std::string_view string_member(const rapidjson::Value& v, const char* name) {
  const auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roc-logdump — write every log record published through a roc broker to disk as JSON lines.\n"
               "Files: DIR/PREFIX-YYYY-MM-DD.N.jsonl (UTC day; N grows when --max-bytes is reached)."};
  app.set_version_flag("--version", "roc-logdump " ROC_VERSION_STRING);
  std::string broker, dir = ".", prefix = "roc", level;
  std::vector<std::string> nodes;
  std::uint64_t max_bytes = 64ull << 20;
  app.add_option("-b,--broker", broker, "Broker address (default: $ROC_BROKER, else localhost:5555)");
  app.add_option("-d,--dir", dir, "Directory for the files (created when missing)")->capture_default_str();
  app.add_option("--prefix", prefix, "File name prefix")->capture_default_str();
  app.add_option("--max-bytes", max_bytes, "Start a new file before one grows past this size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("-l,--level", level, "Minimum level kept: trace, debug, info, warning, error, critical");
  app.add_option("-n,--node", nodes, "Keep only records from these nodes (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  const int min_rank = level.empty() ? 0 : level_rank(level);
  if (min_rank < 0) {
    std::cerr << "roc-logdump: --level must be one of trace, debug, info, warning, error, critical\n";
    return 2;
  }

  try {
    const roc::Endpoints endpoints = broker.empty() ? roc::Endpoints::from_env() : roc::Endpoints(broker);
    roc::logdump::RotatingWriter writer(dir, prefix, max_bytes);
    zmq::context_t context(1);
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::rcvhwm, 100000);  // a busy lab logs in bursts; keep them rather than drop
    sub.connect(endpoints.subscribe());
    sub.set(zmq::sockopt::subscribe, "log.");
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cerr << "roc-logdump: writing records from " << endpoints.subscribe() << " to " << writer.current().string()
              << '\n';

    while (!stop_requested) {
      zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(200));  // bounded so a signal is noticed
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if (!(item.revents & ZMQ_POLLIN)) continue;
      // Drain what is there, then flush once: one write syscall per burst, not per record.
      for (int i = 0; i < 10000; ++i) {
        std::vector<zmq::message_t> frames;
        bool got = false;
        do {
          frames.emplace_back();
          got = static_cast<bool>(sub.recv(frames.back(), zmq::recv_flags::dontwait));
        } while (got && frames.back().more());
        if (!got) break;
        if (frames.size() < 2) continue;
        const std::string_view body(frames[1].data<char>(), frames[1].size());
        rapidjson::Document d;
        d.Parse(body.data(), body.size());
        if (d.HasParseError() || !d.IsObject()) continue;  // not a record: not ours to keep
        if (level_rank(string_member(d, "level")) < min_rank) continue;
        if (!nodes.empty() &&
            std::find(nodes.begin(), nodes.end(), std::string(string_member(d, "node"))) == nodes.end())
          continue;
        writer.write(body);
      }
      writer.flush();
    }
    writer.flush();
  } catch (const std::exception& e) {
    std::cerr << "roc-logdump: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
