// `roc`: the operator's command line — list, describe, call, get, set and ping objects through
// the broker, follow logs, show the status tree, make CURVE keys and say which one it presents.
// Exit codes in roc_output.hpp.
#include "link_watch.hpp"
#include "npy_writer.hpp"
#include "roc_output.hpp"

#include <roc/cli.hpp>
#include <roc/client.hpp>
#include <roc/error.hpp>
#include <roc/log_subscriber.hpp>
#include <roc/security.hpp>
#include <roc/status.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace roc::cli;
using Clock = std::chrono::steady_clock;

struct Globals {
  BrokerArgs connection;
  double timeout_s = 2.0;
  bool json = false;

  /// Resolved on first use, certificates included, so that every command of one run presents
  /// the same key and a bad certificate file fails before anything is sent.
  const roc::Endpoints& endpoints() const {
    if (!resolved) resolved = connection.endpoints();
    return *resolved;
  }
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  }

 private:
  mutable std::optional<roc::Endpoints> resolved;
};

/// A command-line argument that is not what it should be: exit code `usage`.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

roc::Json parse_json_argument(const std::string& text, const char* what) {
  try {
    return roc::Json::parse(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{} is not valid JSON: {}", what, e.what()));
  }
}

void print_json(const roc::Json& j, const Globals& g) { std::cout << (g.json ? j.dump() : j.pretty()) << '\n'; }

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
  return show_result(g, call.get(), results);
}

int cmd_list(const Globals& g) {
  roc::Client client(g.endpoints(), {g.timeout()});
  const auto objects = client.objects();
  if (g.json) {
    std::cout << objects.dump() << '\n';
    return exit_code::ok;
  }
  const Palette p(stdout_wants_colour());
  std::cout << fmt::format("{}{:<24} {}{}\n", p.bold, "ID", "WORKERS", p.reset);
  if (objects.value().IsArray())
    for (const auto& o : objects.value().GetArray()) {
      if (!o.IsObject() || !o.HasMember("id") || !o["id"].IsString()) continue;
      const auto w = o.FindMember("workers");
      std::cout << fmt::format("{:<24} {}\n", o["id"].GetString(),
                               w != o.MemberEnd() && w->value.IsUint64() ? w->value.GetUint64() : 0);
    }
  return exit_code::ok;
}

int cmd_ping(const Globals& g, const std::string& id) {
  roc::Client client(g.endpoints(), {g.timeout()});
  const auto start = Clock::now();
  client[id].ping();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (g.json)
    std::cout << fmt::format(R"({{"id":"{}","ms":{:.3f}}})", id, ms) << '\n';
  else
    std::cout << fmt::format("pong from {} in {:.2f} ms\n", id, ms);
  return exit_code::ok;
}

struct LogFilter {
  std::string level;  // minimum level
  std::string node;   // exact node
};

/// Prints log records: for --timeout without -f, until interrupted with it. Exits `timeout`
/// when nothing accepts connections at the broker's subscribe port within --timeout.
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
  LinkWatch link("roc logs", endpoints, sub.endpoint(), g.timeout());
  const Palette p(stdout_wants_colour());
  const auto until = Clock::now() + g.timeout();
  while (follow || Clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    const auto r = sub.next(follow ? std::chrono::milliseconds(200) : std::max(left, std::chrono::milliseconds(0)));
    if (!link.update(sub.connected())) break;
    if (!r) continue;
    if (g.json)
      std::cout << r->body << '\n';
    else
      std::cout << format_log_line(*r, p) << '\n';
    std::cout.flush();
  }
  if (!link.ever_connected()) {
    std::cerr << link.unreachable() << '\n';
    return exit_code::timeout;
  }
  return exit_code::ok;
}

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
  auto show = [&] {
    auto text = g.json ? tree.dump() : tree.pretty();
    if (text == shown) return;  // an update that changed nothing: no flicker, no duplicate line
    if (tty && watch) {
      const Palette p(true);
      std::cout << "\033[H\033[2J"  // refresh in place
                << p.dim << "roc status " << fmt::format("{}", fmt::join(masks, " ")) << " @ "
                << g.endpoints().address() << p.reset << '\n';
    }
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
    if (dirty && Clock::now() - last_shown >= std::chrono::milliseconds(100)) {
      show();
      dirty = false;
      last_shown = Clock::now();
    }
  }
}

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

/// `roc keygen PATH`: a fresh key pair in PATH.key and PATH.key_secret, never over existing files
/// unless `force` (the old secret would be lost for good).
int cmd_keygen(const Globals& g, const std::string& path, const std::vector<std::string>& meta, bool force) {
  auto certificate = roc::Certificate::generate();
  const auto slash = path.find_last_of('/');
  const auto base_name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (base_name.empty()) throw UsageError(fmt::format("'{}' names a directory: give a file name, e.g. {}lab-pc", path, path));
  // Named after the file unless told otherwise: logs and errors then say "lab-pc-3", not a key.
  certificate.set_meta("name", base_name);
  for (const auto& entry : meta) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError(fmt::format("--meta '{}' is not NAME=VALUE", entry));
    try {
      certificate.set_meta(entry.substr(0, equals), entry.substr(equals + 1));
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--meta: {}", e.what()));
    }
  }
  const auto public_file = path + ".key";
  const auto secret_file = path + ".key_secret";
  if (!force)
    for (const auto& file : {public_file, secret_file})
      if (file_exists(file))
        throw roc::CertificateError(fmt::format("'{}' exists and is left as it is (--force replaces it)", file));
  certificate.save(path);
  if (g.json) {
    roc::Json out = roc::Json::parse("{}");
    auto& a = out.allocator();
    out.value().AddMember("public_key", roc::json::Value(certificate.public_key(), a), a);
    out.value().AddMember("public", roc::json::Value(public_file, a), a);
    out.value().AddMember("secret", roc::json::Value(secret_file, a), a);
    roc::json::Value m(rapidjson::kObjectType);
    for (const auto& [name, value] : certificate.metadata())
      m.AddMember(roc::json::Value(name, a), roc::json::Value(value, a), a);
    out.value().AddMember("metadata", m, a);
    std::cout << out.dump() << '\n';
    return exit_code::ok;
  }
  const auto width = secret_file.size();
  std::cout << fmt::format("public key  {}\n", certificate.public_key())
            << fmt::format("wrote       {:<{}}  public: copy it into the broker's allow directory\n", public_file, width)
            << fmt::format("            {:<{}}  secret, mode 0600: keep it on this machine\n", secret_file, width);
  return exit_code::ok;
}

/// The metadata names the broker reads roles from (docs/security.md).
constexpr const char* role_names[] = {"roc-serve", "roc-call", "roc-read", "roc-publish"};

/// `roc whoami`: the key this program presents and the broker key it trusts, with the roles the
/// own certificate names. Reads files only; asks the broker nothing.
int cmd_whoami(const Globals& g) {
  const auto& endpoints = g.endpoints();
  const auto credentials = endpoints.credentials();
  const auto* own = credentials.own ? &*credentials.own : nullptr;
  if (g.json) {
    roc::Json out = roc::Json::parse("{}");
    auto& a = out.allocator();
    auto text = [&](const std::string& s) { return roc::json::Value(s, a); };
    out.value().AddMember("broker", text(endpoints.address()), a);
    out.value().AddMember("secure", credentials.secure(), a);
    out.value().AddMember("identity", text(credentials.describe()), a);
    roc::json::Value key, name, broker_key;
    if (own) {
      key = text(own->public_key());
      name = text(own->name());
    }
    if (credentials.broker) broker_key = text(credentials.broker->public_key());
    out.value().AddMember("key", key, a);
    out.value().AddMember("name", name, a);
    out.value().AddMember("broker_key", broker_key, a);
    roc::json::Value roles(rapidjson::kObjectType);
    if (own)
      for (const char* role : role_names)
        if (auto value = own->meta(role)) roles.AddMember(rapidjson::StringRef(role), text(*value), a);
    out.value().AddMember("roles", roles, a);
    std::cout << out.dump() << '\n';
    return exit_code::ok;
  }
  std::cout << fmt::format("broker    {}\nidentity  {}\n", endpoints.address(), credentials.describe());
  if (!own) return exit_code::ok;
  std::string roles;
  for (const char* role : role_names)
    if (auto value = own->meta(role)) roles += fmt::format("{}{} = \"{}\"", roles.empty() ? "" : "; ", role, *value);
  if (roles.empty()) roles = "none set: the broker's defaults (docs/security.md)";
  std::cout << fmt::format("roles     {}\n          (as this program's certificate says; the broker goes by its own "
                           "copy in its allow directory)\n",
                           roles);
  return exit_code::ok;
}

/// Runs `body` and turns roc's exceptions into exit codes with a message on stderr.
template <class F>
int guarded(const Globals& g, F&& body) {
  try {
    return body();
  } catch (const roc::CertificateError& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::certificate;
  } catch (const UsageError& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::usage;
  } catch (const roc::NotSupported& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::unsupported;
  } catch (const roc::TimeoutError& e) {
    std::cerr << "roc: timeout: " << e.what() << '\n';
    // With CURVE, a broker that does not admit a key says nothing at all: point at the likely cause.
    if (g.endpoints().credentials().secure())
      std::cerr << "roc: with CURVE on, a broker that does not admit this key does not answer; "
                   "`roc whoami` shows the key, the broker's --allow directory must hold its .key file\n";
    return exit_code::timeout;
  } catch (const roc::ObjectNotFound& e) {
    std::cerr << "roc: not found: " << e.message() << '\n';
    return exit_code::not_found;
  } catch (const roc::RemoteError& e) {
    std::cerr << fmt::format("roc: remote error {}: {}", e.code(), e.message());
    if (!e.data_json().empty()) std::cerr << " " << e.data_json();
    std::cerr << '\n';
    return exit_code::remote_error;
  } catch (const std::invalid_argument& e) {  // a malformed --broker address, for one
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::usage;
  } catch (const std::exception& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::failure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roc — call remote objects, follow logs and status through a roc broker.\n"
               "Exit codes: 0 ok, 1 failure, 2 bad usage, 3 timeout, 4 object not found, 5 remote error,\n"
               "6 the broker does not support the command (a plain Majordomo broker and `list`),\n"
               "7 a certificate file is missing or unusable, or `keygen` would overwrite one,\n"
               "8 `call --save` or `get --save`, but the result holds no array,\n"
               "130 Ctrl-C during `call`: the call was cancelled."};
  app.footer("Security: with --broker-cert (or $ROC_BROKER_CERT) every connection is CURVE-encrypted and\n"
             "presents --cert (or $ROC_CERT); `roc whoami` shows which key. See docs/security.md.");
  app.set_version_flag("--version", "roc " ROC_VERSION_STRING);
  app.require_subcommand(1);
  app.fallthrough();  // global options also after the command: `roc list --json`
  Globals g;
  g.connection.add_to(app);
  app.add_option("-t,--timeout", g.timeout_s, "Seconds to wait for any answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", g.json, "Machine-readable output: compact JSON, one value per line");

  std::string id, method, params, prop, value, key_path;
  std::vector<std::string> meta;
  bool force = false;
  std::vector<std::string> masks;
  bool follow = false, watch = false;
  LogFilter filter;
  ResultOptions results;
  ProgressChoice progress;
  int code = exit_code::ok;

  auto* list = app.add_subcommand("list", "List the objects registered with the broker");
  list->callback([&] { code = guarded(g, [&] { return cmd_list(g); }); });

  auto* describe = app.add_subcommand("describe", "Print an object's interface (its IDL JSON)");
  describe->add_option("id", id, "Object id")->required();
  describe->callback([&] {
    code = guarded(g, [&] {
      roc::Client client(g.endpoints(), {g.timeout()});
      print_json(client[id].describe(), g);
      return exit_code::ok;
    });
  });

  auto* call = app.add_subcommand("call", "Call a method; PARAMS is a JSON array (by position) or object (by name).\n"
                                          "On a terminal, large arrays in the result are shown as one-line summaries.\n"
                                          "Long calls: give -t enough seconds; the method's progress is drawn on stderr\n"
                                          "when it is a terminal; Ctrl-C cancels the call (the method is told to stop),\n"
                                          "waits up to 2 s for it to end and exits 130");
  call->add_option("id", id, "Object id")->required();
  call->add_option("method", method, "Method name")->required();
  call->add_option("params", params, "Parameters as JSON, e.g. '[1,2]' or '{\"x\":0}'");
  call->callback([&] {
    code = guarded(g, [&] {
      roc::Json p;
      if (!params.empty()) {
        p = parse_json_argument(params, "PARAMS");
        if (!p.value().IsArray() && !p.value().IsObject()) {
          // A lone value is the one positional argument.
          roc::Json wrapped = roc::Json::parse("[]");
          wrapped.value().PushBack(roc::json::Value(p.value(), wrapped.allocator()), wrapped.allocator());
          p = std::move(wrapped);
        }
      }
      if (results.summary && g.json) throw UsageError("--summary and --json do not mix: --json prints every element");
      return cmd_call(g, id, method, p, results, progress);
    });
  });
  add_result_options(call, results);
  auto* with_progress = call->add_flag(
      "--progress", progress.always,
      "Ask for the method's progress and show it on stderr: a bar redrawn in place on a terminal, one line "
      "per event (`roc: progress  45% frame 3 of 10`) elsewhere. The default when stderr is a terminal");
  auto* without_progress = call->add_flag("--no-progress", progress.never, "Never ask for progress");
  with_progress->excludes(without_progress);

  auto* get = app.add_subcommand("get", "Read a property");
  get->add_option("id", id, "Object id")->required();
  get->add_option("prop", prop, "Property name")->required();
  get->callback([&] {
    code = guarded(g, [&] {
      if (results.summary && g.json) throw UsageError("--summary and --json do not mix: --json prints every element");
      roc::Client client(g.endpoints(), {g.timeout()});
      roc::Json name = roc::Json::parse("[]");
      name.value().PushBack(roc::json::Value(prop, name.allocator()), name.allocator());
      return show_result(g, client[id].call_raw("rpc.get", name), results);
    });
  });
  add_result_options(get, results);

  auto* set = app.add_subcommand("set", "Write a property; VALUE is JSON, or else taken as a string");
  set->add_option("id", id, "Object id")->required();
  set->add_option("prop", prop, "Property name")->required();
  set->add_option("value", value, "New value, e.g. 20.5, true, '\"text\"' or plain text")->required();
  set->callback([&] {
    code = guarded(g, [&] {
      roc::Json v;
      try {
        v = roc::Json::parse(value);
      } catch (const std::invalid_argument&) {
        v.value().SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), v.allocator());
      }
      roc::Client client(g.endpoints(), {g.timeout()});
      client[id].set(prop, v);
      return exit_code::ok;
    });
  });

  auto* ping = app.add_subcommand("ping", "Round trip to an object (rpc.ping)");
  ping->add_option("id", id, "Object id")->required();
  ping->callback([&] { code = guarded(g, [&] { return cmd_ping(g, id); }); });

  auto* logs = app.add_subcommand("logs", "Print log records as they arrive (for --timeout, or until Ctrl-C with -f);\n"
                                          "exit 3 when nothing accepts connections at the broker's log port");
  logs->add_flag("-f,--follow", follow, "Keep printing until interrupted");
  logs->add_option("-l,--level", filter.level, "Minimum level: trace, debug, info, warning, error, critical");
  logs->add_option("-n,--node", filter.node, "Only records from this node");
  logs->callback([&] { code = guarded(g, [&] { return cmd_logs(g, filter, follow); }); });

  auto* status = app.add_subcommand("status", "Print the merged status tree under the masks (all when none)");
  status->add_option("masks", masks, "Dotted paths, e.g. system vnir.temperature");
  status->add_flag("-w,--watch", watch, "Keep the tree on screen, refreshed in place");
  status->callback([&] { code = guarded(g, [&] { return cmd_status(g, masks, watch); }); });

  auto* keygen = app.add_subcommand("keygen", "Make a CURVE key pair: PATH.key (public) and PATH.key_secret (mode 0600)");
  keygen->add_option("path", key_path, "Path without extension, e.g. keys/lab-pc-3")->required()->type_name("PATH");
  keygen->add_option("--meta", meta,
                     "NAME=VALUE metadata, repeatable: name (default: the file name), roc-serve, roc-call, "
                     "roc-read, roc-publish (docs/security.md)")
      ->type_name("NAME=VALUE");
  keygen->add_flag("--force", force, "Replace existing files (the old key is lost)");
  keygen->callback([&] { code = guarded(g, [&] { return cmd_keygen(g, key_path, meta, force); }); });

  auto* whoami = app.add_subcommand("whoami", "Print the key roc presents to the broker and the broker key it trusts");
  whoami->callback([&] { code = guarded(g, [&] { return cmd_whoami(g); }); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_code::usage;
  }
  return code;
}
