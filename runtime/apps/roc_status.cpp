// `roc status`: the merged status tree under some masks, once or kept on screen, stale parts
// flagged; `roc status --delete PATH` removes a subtree.
#include "link_watch.hpp"
#include "roc_command.hpp"
#include "status_view.hpp"
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
  LinkWatch link("roc status", sub.endpoint(), g.timeout(), LinkWatch::Patience::first_failure);
  roc::StatusTree tree;
  const bool tty = stdout_wants_colour();
  const auto deadline = Clock::now() + g.timeout();
  std::string shown;
  std::optional<WatchScreen> screen;  // --watch on a terminal: the tree kept in place
  auto lines = [&] {
    StatusViewStyle style;
    style.colour = tty;
    return status_lines(tree, style);
  };
  auto show = [&] {
    if (screen) {
      const Palette p(tty);
      auto shown_lines = lines();
      shown_lines.insert(shown_lines.begin(), fmt::format("{}roc status {} @ {}{}", p.dim, fmt::join(masks, " "),
                                                          g.endpoints().address(), p.reset));
      screen->show(shown_lines);
      return;
    }
    auto text = g.json ? tree.dump() : fmt::format("{}", fmt::join(lines(), "\n"));
    if (text == shown) return;  // an update that changed nothing: no flicker, no duplicate line
    std::cout << text << '\n';
    std::cout.flush();
    shown = std::move(text);
  };
  // Wait for the snapshot: that is the current tree.
  while (!sub.synced()) {
    link.update(sub.connected(), sub.link_failure());
    if (Clock::now() >= deadline) {
      if (!link.ever_connected()) throw link.unreachable(sub.link_failure());
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
    link.update(sub.connected(), sub.link_failure());
    if (u) {
      tree.merge(u);
      dirty = true;
    }
    // At most ten refreshes a second, however fast updates come.
    // Once a second anyway on the screen, so that the ages of stale parts keep counting.
    const auto since = Clock::now() - last_shown;
    if ((dirty && since >= std::chrono::milliseconds(100)) || (screen && (screen->resized() || since >= std::chrono::seconds(1)))) {
      show();
      dirty = false;
      last_shown = Clock::now();
    }
  }
}

/// Publishes `null` at `path` and waits to see the deletion come back from the broker: a secured
/// broker drops it, unseen, when the key's roc-publish does not cover the path.
int cmd_delete(const Globals& g, const std::string& path) {
  try {
    if (roc::split_status_path(path).empty()) throw std::invalid_argument("give the path of the subtree to delete");
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--delete: {}", e.what()));
  }
  const auto endpoints = g.endpoints();
  roc::StatusSubscription sub(endpoints, {path}, g.timeout());
  LinkWatch link("roc status", sub.endpoint(), g.timeout(), LinkWatch::Patience::first_failure);
  const auto deadline = Clock::now() + g.timeout();
  // Subscribed first (the snapshot says the subscription is in place), so the deletion is seen.
  while (!sub.synced() && Clock::now() < deadline) {
    sub.next(std::chrono::milliseconds(50));
    link.update(sub.connected(), sub.link_failure());
  }
  if (!link.ever_connected()) throw link.unreachable(sub.link_failure());
  roc::StatusUpdater updater(endpoints);
  updater.emit_json(path, "null");
  while (Clock::now() < deadline) {
    const auto u = sub.next(std::chrono::milliseconds(50));
    if (u && !u.stale && !u.snapshot && u.path == path && u.value.value().IsNull()) {
      std::cout << "deleted status '" << path << "'\n";
      return exit_code::ok;
    }
  }
  std::cerr << "roc: the broker at " << endpoints.address() << " did not apply the deletion of '" << path
            << "' within " << g.timeout_s << " s; a secured broker drops it when your key's roc-publish does not "
            << "cover status." << path << " (docs/security.md)\n";
  return exit_code::timeout;
}

struct StatusArgs {
  std::vector<std::string> masks;
  bool watch = false;
  std::string del;
};

}  // namespace

void add_status_command(CLI::App& app, const Globals& g, int& code) {
  auto a = std::make_shared<StatusArgs>();
  auto* status = app.add_subcommand("status", "Print the merged status tree under the masks (all when none)");
  status->add_option("masks", a->masks, "Dotted paths, e.g. system vnir.temperature");
  status->add_flag("-w,--watch", a->watch, "Keep the tree on screen, refreshed in place");
  auto* del = status->add_option("--delete", a->del,
                                 "Remove the subtree at PATH (needs roc-publish for it on a secured broker)")
                  ->option_text("PATH");
  del->excludes(status->get_option("--watch"));
  status->callback([a, del, &g, &code] {
    code = run_guarded(g, [&] {
      if (del->count() > 0) {
        if (!a->masks.empty()) throw UsageError("--delete takes the path; give no masks with it");
        return cmd_delete(g, a->del);
      }
      return cmd_status(g, a->masks, a->watch);
    });
  });
}

}  // namespace roc::cli
