// `roc call`, `roc get`, `roc set` and `roc ping`: one call each, its result shown (summaries of
// bulk arrays on a terminal, or saved as .npy), its progress drawn, Ctrl-C turned into a cancel.
#include "npy_writer.hpp"
#include "roc_command.hpp"

#include <roc/client.hpp>
#include <roc/error.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace roc::cli {
namespace {

using Clock = std::chrono::steady_clock;

/// How `call` and `get` show a result.
struct ResultOptions {
  bool summary = false;     // --summary
  bool no_summary = false;  // --no-summary
  std::string save;         // --save FILE
};

/// Saves the first array of `result` as a .npy file and says where it came from.
int save_result(const Globals& g, const roc::RawResult& result, const std::string& path) {
  const auto arrays = find_arrays(result);
  if (arrays.empty()) {
    std::cerr << fmt::format("roc: nothing saved to '{}': the result holds no array (no attachment, no JSON array "
                             "of numbers); the result was:\n{}\n",
                             path, format_result(result, true, false, Palette(false)));
    return exit_code::nothing_to_save;
  }
  const auto& a = arrays.front();
  std::string descr = npy_descr(a.type, a.order);
  write_npy(path, descr, a.shape, a.bytes);
  if (g.json) {
    roc::Json out = roc::Json::parse("{}");
    auto& al = out.allocator();
    out.value().AddMember("saved", roc::json::Value(path, al), al);
    out.value().AddMember("path", roc::json::Value(a.where, al), al);
    out.value().AddMember("type", roc::json::Value(a.type, al), al);
    out.value().AddMember("descr", roc::json::Value(descr, al), al);
    roc::json::Value shape(rapidjson::kArrayType);
    for (auto d : a.shape) shape.PushBack(static_cast<std::uint64_t>(d), al);
    out.value().AddMember("shape", shape, al);
    out.value().AddMember("bytes", static_cast<std::uint64_t>(a.bytes.size()), al);
    out.value().AddMember("arrays", static_cast<std::uint64_t>(arrays.size()), al);
    std::cout << out.dump() << '\n';
    return exit_code::ok;
  }
  std::cout << fmt::format("saved {} ({} array, shape [{}], {}) to {}", a.where, a.type, fmt::join(a.shape, ", "),
                           human_size(a.bytes.size()), path);
  if (arrays.size() > 1)
    std::cout << fmt::format(" -- the first of {} arrays in the result; the next is {}", arrays.size(),
                             arrays[1].where);
  std::cout << '\n';
  return exit_code::ok;
}

/// Prints a result of `call` or `get`: summaries of large arrays on a terminal, all of it elsewhere.
int show_result(const Globals& g, const roc::RawResult& result, const ResultOptions& o) {
  if (!o.save.empty()) return save_result(g, result, o.save);
  const bool summaries = o.summary || (!o.no_summary && !g.json && isatty(STDOUT_FILENO));
  std::cout << format_result(result, summaries, g.json, Palette(summaries && stdout_wants_colour())) << '\n';
  return exit_code::ok;
}

/// The options of `call` and `get` that choose how the result is shown.
void add_result_options(CLI::App* command, ResultOptions& o) {
  auto* summary = command->add_flag(
      "--summary", o.summary,
      fmt::format("Show each attachment and each JSON array of more than {} numbers as one line: type, shape, size "
                  "and the first values (the default when stdout is a terminal and --json is not given)",
                  summary_threshold));
  auto* no_summary =
      command->add_flag("--no-summary", o.no_summary, "Print every element, as when stdout is not a terminal");
  summary->excludes(no_summary);
  command
      ->add_option("--save", o.save,
                   "Write the result's first array (an attachment, or a JSON array of numbers) to FILE as a NumPy "
                   ".npy file, and print where in the result it was instead of the result; exit 8 when the result "
                   "holds no array")
      ->type_name("FILE");
}

/// Whether `call` asks for progress and shows it (--progress, --no-progress).
struct ProgressChoice {
  bool always = false;  // --progress
  bool never = false;   // --no-progress
  bool wanted() const { return always || (!never && isatty(STDERR_FILENO)); }
};

/// Shows a call's progress on stderr: one line redrawn in place on a terminal (at most 20 times a
/// second, however fast events come), one line per event elsewhere. Clears its line when done.
class ProgressLine {
 public:
  ProgressLine() : terminal_(isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void show(const roc::Progress& progress) {
    if (!terminal_) {
      std::cerr << format_progress(progress, false, 0) << '\n';
      return;
    }
    latest_ = progress;
    if (Clock::now() - drawn_at_ >= std::chrono::milliseconds(50)) draw();
  }
  /// No event for a while: draw the latest one, if it was held back.
  void idle() {
    if (latest_) draw();
  }
  void clear() {
    if (!on_screen_) return;
    std::cerr << "\r\033[K" << std::flush;
    on_screen_ = false;
  }

 private:
  void draw() {
    winsize size{};
    const std::size_t width = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
    std::cerr << '\r' << format_progress(*latest_, true, width) << "\033[K" << std::flush;
    latest_.reset();
    drawn_at_ = Clock::now();
    on_screen_ = true;
  }

  bool terminal_;
  bool on_screen_ = false;
  std::optional<roc::Progress> latest_;
  Clock::time_point drawn_at_{};
};

/// Set by SIGINT while `call` waits: the call is cancelled, not abandoned.
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

/// Catches SIGINT while it lives (no SA_RESTART: nothing here blocks in a system call for long).
class InterruptCatcher {
 public:
  InterruptCatcher() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptCatcher() { ::sigaction(SIGINT, &previous_, nullptr); }
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;

 private:
  struct sigaction previous_ {};
};

/// How long Ctrl-C waits for the outcome of the cancel before `roc` exits anyway.
constexpr auto cancel_wait = std::chrono::seconds(2);

/// Ctrl-C: cancels the call, waits up to cancel_wait for its outcome and says what became of it.
int cancel_call(roc::PendingCall<roc::RawResult>& call, const std::string& name, ProgressLine& line) {
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends roc at once
  call.cancel();
  line.clear();
  if (!call.wait_for(cancel_wait)) {
    std::cerr << fmt::format("roc: sent the cancel of the call to '{}'; no answer within {} s\n", name,
                             cancel_wait.count());
    return exit_code::interrupted;
  }
  try {
    call.get();
    std::cerr << fmt::format("roc: interrupted; the call to '{}' had finished before the cancel reached it "
                             "(result not shown)\n",
                             name);
  } catch (const roc::Cancelled&) {
    std::cerr << fmt::format("roc: cancelled the call to '{}'\n", name);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("roc: interrupted; the call to '{}' ended with: {}\n", name, e.what());
  }
  return exit_code::interrupted;
}

/// `roc call`: starts the call, shows its progress while waiting, and cancels it on Ctrl-C.
int cmd_call(const Globals& g, const std::string& id, const std::string& method, const roc::Json& params,
             const ResultOptions& results, const ProgressChoice& progress) {
  roc::Client client(g.endpoints(), {g.timeout()});
  roc::CallOptions options;
  options.progress = progress.wanted();
  const InterruptCatcher catcher;
  auto call = client[id].start_raw(method, params, std::move(options));
  const auto name = id + "." + method;
  ProgressLine line;
  constexpr auto tick = std::chrono::milliseconds(50);  // how soon Ctrl-C is seen
  while (!call.wait_for(std::chrono::milliseconds(0))) {
    if (interrupted) return cancel_call(call, name, line);
    if (!progress.wanted()) {
      call.wait_for(tick);
      continue;
    }
    if (auto event = call.next_progress(tick))
      line.show(*event);
    else
      line.idle();
  }
  // Events that came just before the result are still unread; each happened, so each is shown.
  if (progress.wanted())
    while (auto event = call.next_progress(std::chrono::milliseconds(0))) line.show(*event);
  line.clear();
  return show_result(g, with_timeout_said(g, name, [&] { return call.get(); }), results);
}

int cmd_ping(const Globals& g, const std::string& id) {
  roc::Client client(g.endpoints(), {g.timeout()});
  const auto start = Clock::now();
  with_timeout_said(g, id, [&] { client[id].ping(); });
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (g.json)
    std::cout << fmt::format(R"({{"id":"{}","ms":{:.3f}}})", id, ms) << '\n';
  else
    std::cout << fmt::format("pong from {} in {:.2f} ms\n", id, ms);
  return exit_code::ok;
}

/// What the call commands read from their command line.
struct CallArgs {
  std::string id, method, params, prop, value;
  ResultOptions results;
  ProgressChoice progress;
};

/// PARAMS as the JSON-RPC params: an array or object as given, a lone value as the one positional.
roc::Json call_params(const std::string& params) {
  if (params.empty()) return {};
  auto p = parse_json_argument(params, "PARAMS");
  if (p.value().IsArray() || p.value().IsObject()) return p;
  roc::Json wrapped = roc::Json::parse("[]");
  wrapped.value().PushBack(roc::json::Value(p.value(), wrapped.allocator()), wrapped.allocator());
  return wrapped;
}

void refuse_summary_with_json(const Globals& g, const ResultOptions& results) {
  if (results.summary && g.json) throw UsageError("--summary and --json do not mix: --json prints every element");
}

}  // namespace

void add_call_commands(CLI::App& app, const Globals& g, int& code) {
  auto a = std::make_shared<CallArgs>();

  auto* call = app.add_subcommand("call", "Call a method; PARAMS is a JSON array (by position) or object (by name).\n"
                                          "On a terminal, large arrays in the result are shown as one-line summaries.\n"
                                          "Long calls: give -t enough seconds; the method's progress is drawn on stderr\n"
                                          "when it is a terminal; Ctrl-C cancels the call (the method is told to stop),\n"
                                          "waits up to 2 s for it to end and exits 130");
  call->add_option("id", a->id, "Object id")->required();
  call->add_option("method", a->method, "Method name")->required();
  call->add_option("params", a->params, "Parameters as JSON, e.g. '[1,2]' or '{\"x\":0}'");
  call->callback([a, &g, &code] {
    code = run_guarded(g, [&] {
      refuse_summary_with_json(g, a->results);
      return cmd_call(g, a->id, a->method, call_params(a->params), a->results, a->progress);
    });
  });
  add_result_options(call, a->results);
  auto* with_progress = call->add_flag(
      "--progress", a->progress.always,
      "Ask for the method's progress and show it on stderr: a bar redrawn in place on a terminal, one line "
      "per event (`roc: progress  45% frame 3 of 10`) elsewhere. The default when stderr is a terminal");
  auto* without_progress = call->add_flag("--no-progress", a->progress.never, "Never ask for progress");
  with_progress->excludes(without_progress);

  auto* get = app.add_subcommand("get", "Read a property");
  get->add_option("id", a->id, "Object id")->required();
  get->add_option("prop", a->prop, "Property name")->required();
  get->callback([a, &g, &code] {
    code = run_guarded(g, [&] {
      refuse_summary_with_json(g, a->results);
      roc::Client client(g.endpoints(), {g.timeout()});
      roc::Json name = roc::Json::parse("[]");
      name.value().PushBack(roc::json::Value(a->prop, name.allocator()), name.allocator());
      auto result = with_timeout_said(g, a->id + "." + a->prop, [&] { return client[a->id].call_raw("rpc.get", name); });
      return show_result(g, result, a->results);
    });
  });
  add_result_options(get, a->results);

  auto* set = app.add_subcommand("set", "Write a property; VALUE is JSON, or else taken as a string");
  set->add_option("id", a->id, "Object id")->required();
  set->add_option("prop", a->prop, "Property name")->required();
  set->add_option("value", a->value, "New value, e.g. 20.5, true, '\"text\"' or plain text")->required();
  set->callback([a, &g, &code] {
    code = run_guarded(g, [&] {
      roc::Json v;
      try {
        v = roc::Json::parse(a->value);
      } catch (const std::invalid_argument&) {
        v.value().SetString(a->value.c_str(), static_cast<rapidjson::SizeType>(a->value.size()), v.allocator());
      }
      roc::Client client(g.endpoints(), {g.timeout()});
      with_timeout_said(g, a->id + "." + a->prop, [&] { client[a->id].set(a->prop, v); });
      return exit_code::ok;
    });
  });

  auto* ping = app.add_subcommand("ping", "Round trip to an object (rpc.ping)");
  ping->add_option("id", a->id, "Object id")->required();
  ping->callback([a, &g, &code] { code = run_guarded(g, [&] { return cmd_ping(g, a->id); }); });
}

}  // namespace roc::cli
