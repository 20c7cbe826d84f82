// One broker address → the three endpoints a roc process talks to (idl/PROTOCOL.md §1).
#pragma once

#include <roc/security.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace roc {

/// Where the broker is. From one address the calls (7/MDP), publish (logs and status in) and
/// subscribe (logs and status out) endpoints follow: base port, +1, +2.
///
/// Accepted addresses: `host`, `host:port`, `tcp://host:port`, `[::1]:port`; `*` as host binds all
/// interfaces (broker side). `ipc://path` gives `ipc://path`, `ipc://path.pub`, `ipc://path.sub`.
/// Throws std::invalid_argument naming the address when it cannot be parsed.
class Endpoints {
 public:
  static constexpr std::uint16_t default_port = 5555;
  static constexpr const char* default_host = "localhost";

  /// localhost:5555.
  Endpoints();
  explicit Endpoints(std::string_view address);

  /// `ROC_BROKER` when set and non-empty, else localhost:5555.
  static Endpoints from_env();

  /// What the `--broker`, `--cert` and `--broker-cert` options of roc's programs feed: each
  /// empty argument falls back to its variable (`ROC_BROKER`, `ROC_CERT`, `ROC_BROKER_CERT`),
  /// then to localhost:5555 and plaintext. Throws CertificateError naming a certificate that cannot be
  /// used, std::invalid_argument for a bad address.
  static Endpoints resolve(std::string_view address, const std::string& cert, const std::string& broker_cert);

  /// The credentials every socket to this broker uses: those given to set_credentials(), else
  /// Credentials::from_env() read when a socket is made, so that `ROC_CERT` and
  /// `ROC_BROKER_CERT` secure any program. Throws CertificateError when a file they name is unusable.
  Credentials credentials() const;
  /// Fixes the credentials (plaintext with a default Credentials{}), whatever the environment says.
  Endpoints& set_credentials(Credentials credentials);

  const std::string& calls() const noexcept { return calls_; }
  const std::string& publish() const noexcept { return publish_; }
  const std::string& subscribe() const noexcept { return subscribe_; }

  /// The address as a user would write it (`host:port` or `ipc://path`).
  const std::string& address() const noexcept { return address_; }
  const std::string& host() const noexcept { return host_; }
  /// The base port; 0 for ipc.
  std::uint16_t port() const noexcept { return port_; }

 private:
  std::string address_, host_, calls_, publish_, subscribe_;
  std::uint16_t port_ = 0;
  std::shared_ptr<const Credentials> credentials_;  // null: from the environment
};

}  // namespace roc
