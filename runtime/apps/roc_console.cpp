// `roc web`, `roc archive` and `roc history`: the operator's console is written in Python
// (python/roc/console). These commands hand the rest of their command line to it unparsed, so
// `--help`, the options and the exit codes are the console's own; one implementation serves both
// `roc web` and `python3 -m roc.console web`.
#include "roc_command.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace roc::cli {
namespace {

namespace fs = std::filesystem;

struct ConsoleCommand {
  const char* name;
  const char* summary;
};

constexpr ConsoleCommand console_commands[] = {
    {"web", "Serve the live web console at http://127.0.0.1:8080 (roc web --help)"},
    {"archive", "Record numeric status values into the SQLite archive (roc archive --help)"},
    {"history", "Print a status value's history from the archive: roc history vnir.temperature --since 1h"},
};

/// Where the `roc` Python package is: next to an installed roc (<prefix>/share/roc/python), else
/// in the checkout this roc was built from.
fs::path python_package_dir() {
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto installed = self.parent_path().parent_path() / ROC_INSTALL_DATADIR / "roc" / "python";
    if (fs::exists(installed / "roc" / "console", error)) return installed;
  }
  return ROC_PYTHON_SOURCE_DIR;
}

/// $ROC_PYTHON, else Debian's python3 (the one that has python3-zmq and python3-numpy), else the
/// first python3 on PATH.
std::string python_interpreter() {
  if (const char* chosen = std::getenv("ROC_PYTHON"); chosen && *chosen) return chosen;
  std::error_code error;
  if (fs::exists("/usr/bin/python3", error)) return "/usr/bin/python3";
  return "python3";
}

/// The console command's own arguments, with roc's `--json` (given before the command) as the
/// command's: only `history` prints data, the others refuse it rather than ignore it.
std::vector<std::string> console_arguments(const std::string& command, std::vector<std::string> rest,
                                           const Globals& g) {
  if (!g.json) return rest;
  if (command != "history")
    throw UsageError("--json does not apply to `roc " + command + "`; it serves or records, printing no data");
  rest.insert(rest.begin(), "--json");
  return rest;
}

/// Replaces this process with the Python console command; returns only when that cannot start.
/// Options given to roc before the command (`roc -b lab web`) reach Python as the variables
/// every roc program reads.
int exec_console(const std::string& command, const std::vector<std::string>& rest, const Globals& g) {
  auto arguments = console_arguments(command, rest, g);
  const auto pass_on = [](const char* variable, const std::string& value) {
    if (!value.empty()) ::setenv(variable, value.c_str(), 1);
  };
  pass_on("ROC_BROKER", g.connection.broker);
  pass_on("ROC_CERT", g.connection.cert);
  pass_on("ROC_BROKER_CERT", g.connection.broker_cert);
  std::string path = python_package_dir().string();
  if (const char* old = std::getenv("PYTHONPATH"); old && *old) path += std::string(":") + old;
  ::setenv("PYTHONPATH", path.c_str(), 1);

  const auto python = python_interpreter();
  std::vector<std::string> args{python, "-m", "roc.console", command};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execvp(argv[0], argv.data());
  std::cerr << "roc: cannot start " << python << " for `roc " << command << "`: " << std::strerror(errno)
            << " (scripts/setup.sh installs python3, python3-zmq and python3-numpy)\n";
  return exit_code::failure;
}

}  // namespace

void add_console_commands(CLI::App& app, const Globals& g, int& code) {
  (void)code;  // the exec'd console's exit status is the process's
  for (const auto& command : console_commands) {
    auto* sub = app.add_subcommand(command.name, command.summary);
    sub->prefix_command();  // everything after the name is the console's, including --help
    sub->set_help_flag();
    sub->fallthrough(false);
    sub->callback([&g, sub, name = std::string(command.name)] {
      run_guarded(g, [&g, sub, name] { return exec_console(name, sub->remaining(), g); });
    });
  }
}

}  // namespace roc::cli
