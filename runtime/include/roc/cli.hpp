// The options every roc program that talks to a broker takes on its command line: --broker,
// --cert and --broker-cert, one rule for roc's tools, its samples and yours. Header-only, for
// programs that parse their command line with CLI11 (https://github.com/CLIUtils/CLI11).
#pragma once

#include <roc/endpoints.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace roc::cli {

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
