// A secured broker for tests: its key pair and an allow directory in a temporary folder, keys
// made and admitted with metadata, and endpoints that present a given key, or none. Removed on
// destruction.
#pragma once

#include "support/temp_dir.hpp"
#include "support/test_device.hpp"

#include <roc/broker.hpp>
#include <roc/endpoints.hpp>
#include <roc/security.hpp>
#include <roc/server.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace roc::test {

/// Which keys a lab's broker admits: those in the allow directory, or any key at all (CURVE on,
/// no allow directory).
enum class Admission { listed, any_key };

class SecureLab {
 public:
  SecureLab();

  /// A fresh key named `name` (metadata `name`) with `meta`, admitted: its public certificate is
  /// put into the allow directory as `<name>.key`.
  Certificate key(const std::string& name, const std::map<std::string, std::string>& meta = {});
  /// A fresh key named `name` that no allow directory lists.
  static Certificate stranger(const std::string& name);
  /// Puts `key`'s public certificate into the allow directory as `<its name>.key`.
  void admit(const Certificate& key);
  /// Takes `name`'s public certificate out of the allow directory; throws if it is not there, so
  /// a test never believes it revoked a key it did not.
  void revoke(const std::string& name);

  /// Options for a broker on 127.0.0.1 (free port, fast heartbeats) with this lab's certificate,
  /// and its allow directory unless `admission` is any_key.
  BrokerOptions broker_options(Admission admission = Admission::listed) const;
  /// Options for a server of that broker: fast_server() at the broker's heartbeat interval. A
  /// worker that beats faster than its broker gives the broker up after `liveness` of its own
  /// intervals of silence, and would reconnect while a call is held.
  static ServerOptions server_options();
  /// `broker` presenting `own` and trusting this lab's broker key. Without `own`, the program
  /// makes a key of its own for the process, which no allow directory lists.
  Endpoints as(std::optional<Certificate> own, const Endpoints& broker) const;
  /// `broker` without credentials, whatever ROC_CERT and ROC_BROKER_CERT say: a plaintext peer.
  static Endpoints plaintext(const Endpoints& broker);

  const Certificate& broker_key() const noexcept { return broker_key_; }
  /// The lab's folder, for files a test makes besides keys; the allow directory is inside it.
  std::filesystem::path directory() const { return directory_.path(); }
  std::filesystem::path allow_directory() const { return directory() / "allow"; }

 private:
  TempDir directory_;
  Certificate broker_key_;
};

/// A started broker secured by a lab of its own.
struct SecuredBroker {
  explicit SecuredBroker(Admission admission = Admission::listed);

  Endpoints as(std::optional<Certificate> key) const { return lab.as(std::move(key), broker.endpoints()); }
  Endpoints plaintext() const { return SecureLab::plaintext(broker.endpoints()); }

  /// A key admitted with `meta`, in force at once (the directory watch would take a second).
  Certificate key(const std::string& name, const std::map<std::string, std::string>& meta = {});

  /// A server presenting `key` that publishes `device` as `id`, started.
  std::unique_ptr<Server> serve(const Certificate& key, const std::string& id, testing_lab::Device& device) const;

  /// How many workers the broker has for `id` (0 when it knows none).
  std::size_t workers_of(const std::string& id) const;

  SecureLab lab;  // before the broker: the broker watches its allow directory until it stops
  Broker broker;
};

}  // namespace roc::test
