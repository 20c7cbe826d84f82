// `roc list`: the objects registered with the broker and their workers (host, pid, uptime, calls
// served); `--watch` follows them as they come and go (PROTOCOL §4 mmi.workers, §5.6).
#include "link_watch.hpp"
#include "roc_command.hpp"

#include <roc/client.hpp>
#include <roc/presence.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <memory>
#include <vector>

namespace roc::cli {
namespace {

using namespace std::chrono_literals;

/// `42s`, `3m12s`, `1h02m`, `3d04h`: precise enough to tell a restart from a long run.
std::string format_uptime(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string dash_if_empty(const std::string& text) { return text.empty() ? "-" : text; }

/// One row per worker, the object's id on its first; a worker that told nothing shows dashes.
void print_workers_table(const std::vector<ObjectWorkers>& objects, const Palette& p) {
  const std::vector<std::string> header = {"ID", "HOST", "PID", "PROGRAM", "UPTIME", "CALLS", "IN FLIGHT"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& object : objects)
    for (std::size_t i = 0; i < object.workers.size(); ++i) {
      const auto& w = object.workers[i];
      rows.push_back({i == 0 ? object.id : "", dash_if_empty(w.host), w.described() ? std::to_string(w.pid) : "-",
                      dash_if_empty(w.program), format_uptime(w.uptime_s), std::to_string(w.calls),
                      std::to_string(w.in_flight)});
    }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c)
      text += c + 1 < cells.size() ? fmt::format("{:<{}}  ", cells[c], width[c]) : cells[c];
    return text;
  };
  std::cout << p.bold << line(header) << p.reset << '\n';
  for (const auto& row : rows) std::cout << line(row) << '\n';
  if (objects.empty()) std::cout << p.dim << "(no objects registered)" << p.reset << '\n';
  std::cout.flush();
}

/// The listing of a broker without `mmi.workers` (a plain 7/MDP one): ids and worker counts.
void print_objects_table(const Json& objects, const Palette& p) {
  std::cout << fmt::format("{}{:<24} {}{}\n", p.bold, "ID", "WORKERS", p.reset);
  if (objects.value().IsArray())
    for (const auto& o : objects.value().GetArray()) {
      if (!o.IsObject() || !o.HasMember("id") || !o["id"].IsString()) continue;
      const auto w = o.FindMember("workers");
      std::cout << fmt::format("{:<24} {}\n", o["id"].GetString(),
                               w != o.MemberEnd() && w->value.IsUint64() ? w->value.GetUint64() : 0);
    }
}

int cmd_list(const Globals& g) {
  roc::Client client(g.endpoints(), {g.timeout()});
  const Palette p(stdout_wants_colour());
  std::string unsupported;
  try {
    if (g.json)
      std::cout << client.workers_json().dump() << '\n';
    else
      print_workers_table(client.workers(), p);
    return exit_code::ok;
  } catch (const NotSupported& e) {
    unsupported = e.what();
  }
  // A broker without mmi.workers (an older roc broker, a plain 7/MDP one): ids and worker
  // counts are all there is to show. Without mmi.objects either: exit 6 (run_guarded).
  const auto objects = client.objects();
  std::cerr << "roc list: " << unsupported << "; listing ids and worker counts only (mmi.objects)\n";
  if (g.json)
    std::cout << objects.dump() << '\n';
  else
    print_objects_table(objects, p);
  return exit_code::ok;
}

/// `04:20:09  vnir  gone (connection-lost): lab-pc pid 4242 vnir-server, up 8s, 3 calls; 0 workers`.
std::string format_event(const PresenceEvent& e, const Palette& p) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
  std::string_view colour = p.cyan;
  if (e.kind == PresenceEvent::Kind::registered || e.kind == PresenceEvent::Kind::worker_joined) colour = p.green;
  if (e.kind == PresenceEvent::Kind::worker_left) colour = p.yellow;
  if (e.kind == PresenceEvent::Kind::gone) colour = p.red;
  const auto& w = e.worker;
  const auto who = w.described() ? fmt::format("{} pid {} {}", w.host, w.pid, w.program) : std::string("a worker");
  const bool left = e.kind == PresenceEvent::Kind::worker_left || e.kind == PresenceEvent::Kind::gone;
  return fmt::format("{}{}{}  {}  {}{}{}{}: {}{}; {} worker{}", p.dim, clock, p.reset, e.id, colour, e.event, p.reset,
                     e.reason.empty() ? "" : " (" + e.reason + ")", who,
                     left ? fmt::format(", up {}, {} call{}", format_uptime(w.uptime_s), w.calls, w.calls == 1 ? "" : "s")
                          : "",
                     e.workers,
                     e.workers == 1 ? "" : "s");
}

void print_current(const roc::Client& client, const Globals& g, const Palette& p) {
  if (g.json)
    std::cout << client.workers_json().dump() << '\n';
  else
    print_workers_table(client.workers(), p);
}

/// The current list, then a line per event until Ctrl-C. Subscribes before listing, so nothing
/// that happens after the listing is missed (an event the listing already shows may follow).
int cmd_watch(const Globals& g) {
  const auto& endpoints = g.endpoints();
  PresenceSubscription events(endpoints, {}, 200ms);
  LinkWatch link("roc list", events.endpoint(), g.timeout(), LinkWatch::Patience::first_failure);
  while (!events.connected()) {  // update() throws BrokerUnreachable when there is none
    events.next(100ms);
    link.update(events.connected(), events.link_failure());
  }
  roc::Client client(endpoints, {g.timeout()});
  const Palette p(stdout_wants_colour());
  try {
    print_current(client, g, p);
  } catch (const NotSupported& e) {
    std::cerr << "roc list: " << e.what() << "; --watch needs a roc broker, which publishes presence events\n";
    return exit_code::unsupported;
  }
  bool was_connected = true;
  for (;;) {
    const auto event = events.next();
    link.update(events.connected(), events.link_failure());
    if (events.connected() && !was_connected) {
      // Events of the time without a connection are lost: show where things stand now.
      try {
        print_current(client, g, p);
      } catch (const Error& e) {
        std::cerr << "roc list: " << e.what() << '\n';
      }
    }
    was_connected = events.connected();
    if (!event) continue;
    std::cout << (g.json ? event->body : format_event(*event, p)) << std::endl;
  }
}

}  // namespace

void add_list_command(CLI::App& app, const Globals& g, int& code) {
  auto watch = std::make_shared<bool>(false);
  auto* list = app.add_subcommand("list", "List the objects registered with the broker and their workers\n"
                                          "(host, pid, program, uptime, calls served; --json: mmi.workers)");
  list->add_flag("-w,--watch", *watch,
                 "Then print a line each time an object or a worker comes or goes, until Ctrl-C");
  list->callback([watch, &g, &code] {
    code = run_guarded(g, [&] { return *watch ? cmd_watch(g) : cmd_list(g); });
  });
}

}  // namespace roc::cli
