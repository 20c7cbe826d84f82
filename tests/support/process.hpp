// Child processes for the end-to-end tests: spawn, wait, kill, run to completion.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace roc::test {

/// A child process started with posix_spawn; killed (SIGKILL) and reaped if still running
/// when destroyed, and its output file removed then: tests leave no files behind.
class Child {
 public:
  /// Starts `argv[0]` with `argv`; stdout and stderr go to `output_file` when not empty.
  explicit Child(const std::vector<std::string>& argv, const std::string& output_file = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// The exit code once it exits within `timeout`; nullopt otherwise (it keeps running).
  /// A process ended by a signal reports 128 + the signal number.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void terminate();  // SIGTERM
  int pid() const noexcept { return pid_; }

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::string output_file_;
};

/// Runs a command to completion and returns its exit code (or -1 on a timeout) and its output.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// Directory of the running test executable (where the helper programs are built).
std::string executable_dir();

}  // namespace roc::test
