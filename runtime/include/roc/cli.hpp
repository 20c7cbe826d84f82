// How a roc program behaves on its command line, one rule for roc's tools, its samples and yours:
// --help and --version, usage lines that name the program, every parse error in one line with exit
// code 2, seconds for every timeout, and the options of a program that talks to a broker (--broker,
// --cert, --broker-cert). Header-only, for programs that parse their command line with CLI11
// (https://github.com/CLIUtils/CLI11).
#pragma once

#include <roc/endpoints.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace roc::cli {

/// Exit code of a command line that cannot be parsed; 0 after --help and --version.
inline constexpr int usage_exit_code = 2;

/// Help text that also lists, under a subcommand's own options, the options of its parent it
/// accepts (with fallthrough: `roc call --help` shows --broker and --timeout too).
class Formatter : public CLI::Formatter {
 public:
  std::string make_footer(const CLI::App* app) const override {
    std::string out;
    const CLI::App* parent = app->get_parent();
    if (parent != nullptr && app->get_fallthrough()) {
      auto globals = parent->get_options([parent](const CLI::Option* option) {
        return option->nonpositional() && !option->get_group().empty() && option != parent->get_help_ptr() &&
               option != parent->get_help_all_ptr();
      });
      if (!globals.empty())
        out = make_group("Global options (before or after the command)", false, std::move(globals)) + "\n";
    }
    return out + CLI::Formatter::make_footer(app);
  }
};

/// Gives `app` what every roc program has: its `name` in usage lines (rather than argv[0], which may
/// be a build path), --version printing `name version`, and help that lists the global options under
/// each subcommand. Call it before adding subcommands, which inherit the formatter.
inline void set_program(CLI::App& app, const std::string& name, const std::string& version = ROC_VERSION_STRING) {
  app.name(name);
  app.set_version_flag("--version", name + " " + version, "Print the version and exit");
  app.formatter(std::make_shared<Formatter>());
}

namespace detail {

/// The deepest subcommand the command line chose, or `app` itself.
inline const CLI::App* chosen_command(const CLI::App& app) {
  const CLI::App* at = &app;
  for (auto chosen = at->get_subcommands(); !chosen.empty(); chosen = at->get_subcommands()) at = chosen.front();
  return at;
}

/// `roc call`: the words that run `command`.
inline std::string command_line_name(const CLI::App* command) {
  std::string name = command->get_name();
  for (const CLI::App* at = command->get_parent(); at != nullptr; at = at->get_parent()) name = at->get_name() + " " + name;
  return name;
}

}  // namespace detail

/// Parses the command line of an app set up by set_program(). Returns nullopt when the program
/// should go on, else the code to exit with: 0 after --help or --version (printed on stdout), 2
/// after a parse error, reported on stderr as one line naming the program and where to read more.
/// A program with subcommands that is given none, or an unknown one, prints its usage on stderr
/// (after `name: unknown command 'x'` for the latter) and returns 2.
inline std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto program = app.get_name();
    const auto* command = detail::chosen_command(app);
    const auto left = app.remaining();
    const std::function<bool(const CLI::App*)> any = [](const CLI::App*) { return true; };
    if (command == &app && !std::as_const(app).get_subcommands(any).empty()) {
      if (left.empty()) {
        std::cerr << app.help();
        return usage_exit_code;
      }
      if (left.front().rfind('-', 0) != 0) {
        std::cerr << program << ": unknown command '" << left.front() << "'\n\n" << app.help();
        return usage_exit_code;
      }
    }
    std::string message = e.what();
    if (command == &app && !left.empty() && left.front().rfind('-', 0) == 0 &&
        dynamic_cast<const CLI::RequiredError*>(&e) != nullptr)
      message = "unknown option '" + left.front() + "'";  // CLI11 would first say a command is missing
    if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    std::cerr << program << ": " << message << " (see '" << detail::command_line_name(command) << " --help')\n";
    return usage_exit_code;
  }
}

/// A validator for a duration in seconds (`2`, `0.5`); give the option `->type_name("SECONDS")`: a finite number above 0 and at most a
/// week (or 0 too, when `zero_allowed` for "wait forever"). Names what it expected, unlike CLI11's
/// PositiveNumber, which prints the whole range of a double.
inline CLI::Validator seconds(bool zero_allowed = false) {
  constexpr double longest = 7 * 24 * 3600.0;
  return CLI::Validator(
      [zero_allowed](std::string& text) -> std::string {
        const char* start = text.c_str();
        char* end = nullptr;
        const double value = std::strtod(start, &end);
        const bool number = end != start && *end == '\0' && std::isfinite(value);
        if (number && value <= longest && (value > 0 || (zero_allowed && value == 0))) return {};
        return "'" + text + "' is not a number of seconds " + (zero_allowed ? "from 0 (forever)" : "above 0") +
               " up to 604800 (a week), e.g. 2 or 0.5";
      },
      "");  // the option's type_name() says SECONDS
}

/// Where the broker is and which certificates to present (docs/security.md). Each option left
/// empty falls back to its variable — `ROC_BROKER`, `ROC_CERT`, `ROC_BROKER_CERT` — then to
/// localhost:5555 and plaintext, as Endpoints::resolve() says.
struct BrokerArgs {
  std::string broker;
  std::string cert;
  std::string broker_cert;

  /// Adds `-b,--broker ADDR`, `--cert FILE` and `--broker-cert FILE` to `app`.
  void add_to(CLI::App& app) {
    app.add_option("-b,--broker", broker,
                   "Broker address: host, host:port, tcp://host:port or ipc://path (default: $ROC_BROKER, "
                   "else localhost:5555)")
        ->type_name("ADDR");
    app.add_option("--cert", cert,
                   "This program's secret certificate, PATH.key_secret from `roc keygen PATH` (default: $ROC_CERT)")
        ->type_name("FILE");
    app.add_option("--broker-cert", broker_cert,
                   "The broker's public certificate, its .key file; turns CURVE on (default: $ROC_BROKER_CERT, "
                   "else plaintext)")
        ->type_name("FILE");
  }

  /// The endpoints, with the certificates read now: a bad file is reported at the start rather
  /// than at the first call, and every socket presents the same key. Throws roc::CertificateError
  /// naming the file or variable, std::invalid_argument for an address that cannot be parsed.
  Endpoints endpoints() const {
    auto endpoints = Endpoints::resolve(broker, cert, broker_cert);
    endpoints.set_credentials(endpoints.credentials());
    return endpoints;
  }
};

}  // namespace roc::cli
