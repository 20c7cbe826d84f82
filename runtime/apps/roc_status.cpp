// `roc status`: the merged status tree under some masks, once or kept on screen.
#include "link_watch.hpp"
#include "roc_command.hpp"
#include "watch_screen.hpp"

#include <roc/status.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace roc::cli {
namespace {

using Clock = std::chrono::steady_clock;

/// Prints the merged tree under the masks once, or keeps it refreshed with --watch.
int cmd_status(const Globals& g, const std::vector<std::string>& masks, bool watch) {
  std::vector<std::string> checked = masks;
  try {
    for (const auto& m : checked) roc::split_status_path(m);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const auto endpoints = g.endpoints();
  roc::StatusSubscription sub(endpoints, checked, g.timeout());
  LinkWatch link("roc status", endpoints, sub.endpoint(), g.timeout());
  roc::StatusTree tree;
  const bool tty = stdout_wants_colour();
  const auto deadline = Clock::now() + g.timeout();
  std::string shown;
  std::optional<WatchScreen> screen;  // --watch on a terminal: the tree kept in place
  auto show = [&] {
    auto text = g.json ? tree.dump() : tree.pretty();
    if (screen) {
      const Palette p(tty);
      auto lines = split_lines(text);
      lines.insert(lines.begin(), fmt::format("{}roc status {} @ {}{}", p.dim, fmt::join(masks, " "),
                                              g.endpoints().address(), p.reset));
      screen->show(lines);
      return;
    }
    if (text == shown) return;  // an update that changed nothing: no flicker, no duplicate line
    std::cout << text << '\n';
    std::cout.flush();
    shown = std::move(text);
  };
  // Wait for the snapshot: that is the current tree.
  while (!sub.synced()) {
    link.update(sub.connected());
    if (Clock::now() >= deadline) {
      if (!link.ever_connected()) {
        std::cerr << link.unreachable() << '\n';
        return exit_code::timeout;
      }
      std::cerr << "roc: no status snapshot from the broker at " << g.endpoints().address() << " within "
                << g.timeout_s << " s\n";
      return exit_code::timeout;
    }
    auto u = sub.next(std::chrono::milliseconds(50));
    if (u) tree.merge(u);
  }
  // Only now: errors before the first tree stay on the normal screen. --json stays one line per update.
  if (watch && !g.json && isatty(STDOUT_FILENO)) screen.emplace();
  show();
  if (!watch) return exit_code::ok;
  auto last_shown = Clock::now();
  bool dirty = false;
  while (true) {
    auto u = sub.next(std::chrono::milliseconds(100));
    link.update(sub.connected());
    if (u) {
      tree.merge(u);
      dirty = true;
    }
    // At most ten refreshes a second, however fast updates come.
    if ((dirty && Clock::now() - last_shown >= std::chrono::milliseconds(100)) || (screen && screen->resized())) {
      show();
      dirty = false;
      last_shown = Clock::now();
    }
  }
}

struct StatusArgs {
  std::vector<std::string> masks;
  bool watch = false;
};

}  // namespace

void add_status_command(CLI::App& app, const Globals& g, int& code) {
  auto a = std::make_shared<StatusArgs>();
  auto* status = app.add_subcommand("status", "Print the merged status tree under the masks (all when none)");
  status->add_option("masks", a->masks, "Dotted paths, e.g. system vnir.temperature");
  status->add_flag("-w,--watch", a->watch, "Keep the tree on screen, refreshed in place");
  status->callback([a, &g, &code] { code = run_guarded(g, [&] { return cmd_status(g, a->masks, a->watch); }); });
}

}  // namespace roc::cli
