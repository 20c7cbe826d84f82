// `roc logs`: log records as they arrive, filtered by level and node.
#include "link_watch.hpp"
#include "roc_command.hpp"

#include <roc/log_subscriber.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

namespace roc::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct LogFilter {
  std::string level;  // minimum level
  std::string node;   // exact node
};

/// Prints log records: for --timeout without -f, until interrupted with it. Throws
/// BrokerUnreachable when no connection to the broker's subscribe port is made.
int cmd_logs(const Globals& g, const LogFilter& f, bool follow) {
  roc::log::Filter filter;
  if (!f.level.empty()) {
    const auto level = parse_level(f.level);
    if (!level) throw UsageError("--level must be one of trace, debug, info, warning, error, critical");
    filter.min_level = *level;
  }
  if (!f.node.empty()) filter.nodes.push_back(f.node);
  const auto endpoints = g.endpoints();
  roc::log::Subscription sub(endpoints, filter, g.timeout());
  LinkWatch link("roc logs", sub.endpoint(), g.timeout(), LinkWatch::Patience::first_failure);
  const Palette p(stdout_wants_colour());
  const auto until = Clock::now() + g.timeout();
  while (follow || Clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    const auto r = sub.next(follow ? std::chrono::milliseconds(200) : std::max(left, std::chrono::milliseconds(0)));
    link.update(sub.connected(), sub.link_failure());
    if (!r) continue;
    if (g.json)
      std::cout << r->body << '\n';
    else
      std::cout << format_log_line(*r, p) << '\n';
    std::cout.flush();
  }
  if (!link.ever_connected()) throw link.unreachable(sub.link_failure());
  return exit_code::ok;
}

struct LogsArgs {
  LogFilter filter;
  bool follow = false;
};

}  // namespace

void add_logs_command(CLI::App& app, const Globals& g, int& code) {
  auto a = std::make_shared<LogsArgs>();
  auto* logs = app.add_subcommand("logs", "Print log records as they arrive (for --timeout, or until Ctrl-C with -f);\n"
                                          "exit 9 when the broker is unreachable");
  logs->add_flag("-f,--follow", a->follow, "Keep printing until interrupted");
  logs->add_option("-l,--level", a->filter.level, "Minimum level: trace, debug, info, warning, error, critical");
  logs->add_option("-n,--node", a->filter.node, "Only records from this node");
  logs->callback([a, &g, &code] { code = run_guarded(g, [&] { return cmd_logs(g, a->filter, a->follow); }); });
}

}  // namespace roc::cli
