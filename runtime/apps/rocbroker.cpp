// rocbroker: the roc broker as a program. Routes calls (7/MDP) and relays logs and status
// until SIGINT or SIGTERM, then stops in order (DISCONNECT to every worker); SIGHUP re-reads the
// allow directory of a secured broker.
#include <roc/broker.hpp>
#include <roc/cli.hpp>
#include <roc/error.hpp>
#include <roc/security.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <pthread.h>

int main(int argc, char** argv) {
  CLI::App app{"rocbroker — the roc broker: routes remote object calls and relays logs and status"};
  roc::cli::set_program(app, "rocbroker");
  app.footer(
      "Security: without --cert the broker is plaintext and admits every peer (a warning is logged when it\n"
      "is bound to more than loopback). With --cert every peer needs the broker's public certificate\n"
      "(ROC_BROKER_CERT); with --allow also its own key in DIR (ROC_CERT). See docs/security.md.");
  roc::BrokerOptions options;
  long heartbeat_ms = options.heartbeat_interval.count();
  long grace_ms = options.unknown_object_grace.count();
  std::size_t max_message_mib = options.max_message_bytes >> 20;
  long handshake_ms = options.handshake_timeout.count();
  long ping_ms = options.ping_interval.count();
  long connection_timeout_ms = options.connection_timeout.count();
  std::string cert_file;
  bool verbose = false;
  app.add_option("--bind", options.bind,
                 "HOST:PORT to bind (calls on PORT, log/status in on PORT+1, out on PORT+2); port 0 picks one")
      ->capture_default_str();
  app.add_option("--heartbeat-ms", heartbeat_ms, "heartbeat interval in milliseconds")
      ->capture_default_str()
      ->check(CLI::Range(1L, 3'600'000L));
  app.add_option("--liveness", options.heartbeat_liveness,
                 "heartbeats a worker may miss before it is dropped")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--grace-ms", grace_ms, "how long a call for an unknown object waits for a worker")
      ->capture_default_str()
      ->check(CLI::Range(0L, 3'600'000L));
  app.add_option("--max-queued", options.max_queued_per_object,
                 "calls that may wait at the broker for one object; one more is refused with -32005 (busy)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  app.add_option("--max-queued-bytes", options.max_queued_bytes,
                 "bytes all queued calls together may hold (e.g. 128MiB); at least the largest request (64 MiB)")
      ->capture_default_str()
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--max-worker-credit", options.max_worker_credit,
                 "calls in flight at one worker, whatever credit it declares")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--max-message-mib", max_message_mib,
                 "a peer sending a frame larger than this many MiB is disconnected (also caps replies)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--handshake-ms", handshake_ms, "close connections that have not completed the handshake by then")
      ->capture_default_str()
      ->check(CLI::Range(1L, 3'600'000L));
  app.add_option("--ping-ms", ping_ms, "send a ZMTP PING on every connection this often")
      ->capture_default_str()
      ->check(CLI::Range(1L, 3'600'000L));
  app.add_option("--connection-timeout-ms", connection_timeout_ms,
                 "close a connection that sent no whole message this long after a PING (stalled or gone)")
      ->capture_default_str()
      ->check(CLI::Range(1L, 3'600'000L));
  auto* cert_option =
      app.add_option("--cert", cert_file,
                     "the broker's secret certificate (from `roc keygen`): CURVE on all three ports, "
                     "plaintext peers get nothing")
          ->check(CLI::ExistingFile);
  app.add_option("--allow", options.allow_directory,
                 "admit only the keys whose public certificates (*.key) are in this directory, with the rights "
                 "their metadata grants; re-read on SIGHUP and when it changes (needs --cert)")
      ->check(CLI::ExistingDirectory)
      ->needs(cert_option);
  double stale_after_s = 0;
  app.add_option("--stale-after", stale_after_s,
                 "flag a status publisher's part of the tree stale when it sent nothing for this many seconds; "
                 "0 (the default): only when its connection closes, as publishers that emit on change only "
                 "would look dead (docs/observability.md)")
      ->option_text("SECONDS")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  app.add_flag("-v,--verbose", verbose, "log every registration and debug detail");
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;

  options.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  options.unknown_object_grace = std::chrono::milliseconds(grace_ms);
  options.max_message_bytes = max_message_mib << 20;
  options.handshake_timeout = std::chrono::milliseconds(handshake_ms);
  options.ping_interval = std::chrono::milliseconds(ping_ms);
  options.connection_timeout = std::chrono::milliseconds(connection_timeout_ms);
  options.status_stale_after = std::chrono::milliseconds(static_cast<long long>(stale_after_s * 1000));
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);

  if (!cert_file.empty()) {
    try {
      options.certificate = roc::Certificate::load(cert_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rocbroker: --cert: %s\n", e.what());
      return 1;
    }
    if (!options.certificate->has_secret()) {
      std::fprintf(stderr,
                   "rocbroker: --cert: '%s' holds no secret key; give the broker its secret certificate "
                   "(the .key_secret file)\n",
                   cert_file.c_str());
      return 1;
    }
  }

  // Block the signals in every thread (the broker's threads inherit the mask) and take them
  // synchronously here, so no handler runs in the middle of a ZeroMQ call.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    roc::Broker broker{options};
    broker.start();
    const auto endpoints = broker.endpoints();
    std::printf("rocbroker: calls %s  publish %s  subscribe %s\n", endpoints.calls().c_str(),
                endpoints.publish().c_str(), endpoints.subscribe().c_str());
    std::fflush(stdout);

    int signal = 0;
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
      if (options.allow_directory.empty()) {
        spdlog::info("rocbroker: SIGHUP received; no allow directory to re-read");
      } else {
        spdlog::info("rocbroker: SIGHUP received, re-reading {}", options.allow_directory);
        broker.reload_keys();
      }
    }
    spdlog::info("rocbroker: {} received, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    broker.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rocbroker: %s\n", e.what());
    return 1;
  }
  return 0;
}
