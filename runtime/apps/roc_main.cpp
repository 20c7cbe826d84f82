// `roc`: the operator's command line — list, describe, call, get, set and ping objects through
// the broker, follow logs, show the status tree, make CURVE keys and say which one it presents.
// Each subcommand is in its own roc_<name>.cpp; exit codes are in roc_output.hpp.
#include "roc_command.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

using namespace roc::cli;

namespace {

/// `roc help [COMMAND]`: the usage of roc or of one command, on stdout.
void add_help_command(CLI::App& app, const Globals& g) {
  auto command = std::make_shared<std::string>();
  auto* help = app.add_subcommand("help", "Print this usage, or a command's: roc help call");
  help->add_option("command", *command, "The command to explain")->type_name("COMMAND");
  help->callback([&app, &g, command] {
    run_guarded(g, [&app, command] {
      // Not app.help(): that shows the chosen subcommand's, and `help` is the one chosen.
      const auto usage = app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
      if (command->empty()) {
        std::cout << usage;
        return exit_code::ok;
      }
      const std::function<bool(const CLI::App*)> named = [&](const CLI::App* sub) {
        return sub->get_name() == *command;
      };
      const auto found = std::as_const(app).get_subcommands(named);
      if (found.empty()) {
        std::cerr << app.get_name() << ": unknown command '" << *command << "'\n\n" << usage;
        return exit_code::usage;
      }
      std::cout << found.front()->help(app.get_name());
      return exit_code::ok;
    });
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roc — call remote objects, follow logs and status through a roc broker.\n"
               "Exit codes: 0 ok, 1 failure, 2 bad usage, 3 timeout, 4 object not found, 5 remote error,\n"
               "6 the broker does not support the command (a plain Majordomo broker and `list`),\n"
               "7 a certificate file is missing or unusable, or `keygen` would overwrite one,\n"
               "8 `call --save` or `get --save`, but the result holds no array,\n"
               "9 broker unreachable (connection refused, unknown host, or lost during a call),\n"
               "130 Ctrl-C during `call`: the call was cancelled."};
  set_program(app, "roc");
  app.footer("Security: with --broker-cert (or $ROC_BROKER_CERT) every connection is CURVE-encrypted and\n"
             "presents --cert (or $ROC_CERT); `roc whoami` shows which key. See docs/security.md.");
  app.require_subcommand(1);
  app.fallthrough();  // global options also after the command: `roc list --json`
  Globals g;
  g.connection.add_to(app);
  app.add_option("-t,--timeout", g.timeout_s, "Seconds to wait for any answer")
      ->capture_default_str()
      ->check(seconds())
      ->type_name("SECONDS");
  app.add_flag("--json", g.json, "Machine-readable output: compact JSON, one value per line");

  int code = exit_code::ok;  // the subcommands' registration contract; run_command() gives the code
  add_list_command(app, g, code);
  add_describe_command(app, g, code);
  add_call_commands(app, g, code);
  add_logs_command(app, g, code);
  add_status_command(app, g, code);
  add_key_commands(app, g, code);
  add_console_commands(app, g, code);
  add_help_command(app, g);

  if (auto exit = parse(app, argc, argv)) return *exit;
  return run_command(g);
}
