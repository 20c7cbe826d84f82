// What every `roc` subcommand shares: the global options, the usage error, and the one place
// that turns roc's exceptions into exit codes. Each subcommand lives in its own roc_<name>.cpp
// and registers itself with add_<name>_command(); roc_main.cpp puts them together.
#pragma once

#include "roc_output.hpp"

#include <roc/cli.hpp>
#include <roc/endpoints.hpp>
#include <roc/error.hpp>
#include <roc/json.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace roc::cli {

/// The options before (or after) the subcommand: broker, certificates, --timeout, --json; and the
/// command the command line chose, run once all of it has parsed.
struct Globals {
  BrokerArgs connection;
  double timeout_s = 2.0;
  bool json = false;
  /// Set by run_guarded() while the command line is parsed.
  mutable std::function<int()> command;

  /// Resolved on first use, certificates included, so that every command of one run presents
  /// the same key and a bad certificate file fails before anything is sent.
  const Endpoints& endpoints() const {
    if (!resolved) resolved = connection.endpoints();
    return *resolved;
  }
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  }

 private:
  mutable std::optional<Endpoints> resolved;
};

/// A command-line argument that is not what it should be: exit code `usage`.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `text` parsed as JSON; a UsageError naming `what` when it is not.
Json parse_json_argument(const std::string& text, const char* what);

/// Pretty JSON, or compact with --json.
void print_json(const Json& j, const Globals& g);

/// `-t 2` as people write it: `2 s`, `0.5 s`.
std::string timeout_text(const Globals& g);

/// Makes `body` the command to run once the whole command line has parsed (CLI11 calls a
/// subcommand's callback before it reports a misspelled option after it: the command must not run
/// then). Returns exit_code::ok; run_command() returns the body's exit code.
int run_guarded(const Globals& g, std::function<int()> body);

/// Runs the command run_guarded() registered and turns roc's exceptions into exit codes, with one
/// message on stderr.
int run_command(const Globals& g);

/// `body()`, with a roc::TimeoutError said as `roc call` users need it: what did not answer, in
/// the seconds they gave, and that the call may still be running.
template <class F>
auto with_timeout_said(const Globals& g, const std::string& what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const roc::TimeoutError&) {
    throw roc::TimeoutError("no reply from '" + what + "' within " + timeout_text(g) +
                            "; the call may still be running (a longer -t waits longer)");
  }
}

/// Every subcommand registers its options on `app` and, when it runs, stores its exit code in `code`.
/// `g` and `code` outlive the parse.
void add_call_commands(CLI::App& app, const Globals& g, int& code);     // call, get, set, ping
void add_list_command(CLI::App& app, const Globals& g, int& code);      // list
void add_describe_command(CLI::App& app, const Globals& g, int& code);  // describe
void add_logs_command(CLI::App& app, const Globals& g, int& code);      // logs
void add_status_command(CLI::App& app, const Globals& g, int& code);    // status
void add_key_commands(CLI::App& app, const Globals& g, int& code);      // keygen, whoami
void add_console_commands(CLI::App& app, const Globals& g, int& code);  // web, archive, history (Python)

}  // namespace roc::cli
