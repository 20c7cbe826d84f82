// Shared by the sample programs: the options every client takes, and printing each call.
#pragma once

#include <roc/cli.hpp>
#include <roc/client.hpp>
#include <roc/error.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <string_view>

namespace sample {

/// The options of a sample client: which broker and certificates, which object, how long each
/// call may take (in seconds, as -t is everywhere in roc).
struct ClientArgs {
  roc::cli::BrokerArgs connection;
  std::string id = "vnir";
  double timeout_s = 2.0;

  void add_to(CLI::App& app) {
    connection.add_to(app);
    app.add_option("-i,--id", id, "Object id of the camera")->capture_default_str();
    app.add_option("-t,--timeout", timeout_s, "Seconds each call may take")
        ->capture_default_str()
        ->check(roc::cli::seconds())
        ->type_name("SECONDS");
    // The old spelling, in milliseconds, kept for scripts; not shown in the help.
    app.add_option_function<double>(
           "--timeout-ms", [this](double ms) { timeout_s = ms / 1000; }, "")
        ->group("")
        ->check(CLI::Range(1.0, 604'800'000.0));
  }
  /// Throws roc::CertificateError for a certificate that cannot be used.
  roc::Endpoints endpoints() const { return connection.endpoints(); }
  roc::ClientOptions client_options() const {
    return roc::ClientOptions{std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000))};
  }
};

/// Prints `what`, runs `call` and prints its result (a string) or the error it threw.
/// Returns whether it succeeded.
template <class F>
bool show(std::string_view what, F&& call) {
  fmt::print("  {:<44} ", what);
  try {
    fmt::print("-> {}\n", call());
    return true;
  } catch (const roc::RemoteError& error) {
    fmt::print("-> error {}: {}\n", error.code(), error.message());
  } catch (const std::exception& error) {
    fmt::print("-> {}\n", error.what());
  }
  return false;
}

}  // namespace sample
