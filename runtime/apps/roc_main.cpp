// `roc`: the operator's command line — list, describe, call, get, set and ping objects through
// the broker, follow logs, show the status tree, make CURVE keys and say which one it presents.
// Each subcommand is in its own roc_<name>.cpp; exit codes are in roc_output.hpp.
#include "roc_command.hpp"

#include <roc/version.hpp>

#include <CLI/CLI.hpp>

using namespace roc::cli;

int main(int argc, char** argv) {
  CLI::App app{"roc — call remote objects, follow logs and status through a roc broker.\n"
               "Exit codes: 0 ok, 1 failure, 2 bad usage, 3 timeout, 4 object not found, 5 remote error,\n"
               "6 the broker does not support the command (a plain Majordomo broker and `list`),\n"
               "7 a certificate file is missing or unusable, or `keygen` would overwrite one,\n"
               "8 `call --save` or `get --save`, but the result holds no array,\n"
               "9 broker unreachable (connection refused, unknown host, or lost during a call),\n"
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

  int code = exit_code::ok;
  add_list_command(app, g, code);
  add_describe_command(app, g, code);
  add_call_commands(app, g, code);
  add_logs_command(app, g, code);
  add_status_command(app, g, code);
  add_key_commands(app, g, code);


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
