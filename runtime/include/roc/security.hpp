// CURVE keys and the credentials a roc program presents to its broker (docs/security.md).
#pragma once

#include <roc/error.hpp>

#include <map>
#include <optional>
#include <string>

namespace roc {

/// A certificate file that cannot be read, written or used; what() names the file (or the
/// variable that named it) and what is wrong with it.
class CertificateError : public Error {
 public:
  using Error::Error;
};

/// A CURVE key pair, or only its public half, with metadata: the ZeroMQ certificate format that
/// czmq's zcert and pyzmq's zmq.auth read and write. `PATH.key` holds the public key and the
/// metadata (safe to hand out); `PATH.key_secret` holds both keys (keep it private).
///
/// Metadata roc reads from the broker's copy of a public certificate (docs/security.md):
/// `name` (how logs and errors name the key), `roc-serve`, `roc-call`, `roc-read`, `roc-publish`.
class Certificate {
 public:
  /// A fresh key pair from libsodium's random source, with no metadata.
  static Certificate generate();

  /// Reads a public or secret certificate file. Throws CertificateError naming the file (and the
  /// line, for a syntax error) when it cannot be read, is not a certificate, holds a key that is
  /// not 40 characters of Z85, or a public key that does not belong to its secret key.
  static Certificate load(const std::string& path);

  /// Writes `base.key` (public key and metadata, mode 0644) and, when this has a secret key,
  /// `base.key_secret` (mode 0600). Replaces existing files. Throws CertificateError naming the file.
  void save(const std::string& base) const;

  /// Both files' text, as save() writes them.
  std::string public_text() const;
  std::string secret_text() const;

  /// The keys as Z85 text (40 characters); secret_key() is empty in a public certificate.
  const std::string& public_key() const noexcept { return public_key_; }
  const std::string& secret_key() const noexcept { return secret_key_; }
  bool has_secret() const noexcept { return !secret_key_.empty(); }

  const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }
  /// Sets one metadata entry. Throws std::invalid_argument for a name that is empty or holds
  /// anything but letters, digits and `$-_@.&+/` (ZPL's names), or a value with a '"' or a line break.
  void set_meta(const std::string& name, const std::string& value);
  /// The metadata value, or nullopt.
  std::optional<std::string> meta(const std::string& name) const;

  /// The `name` metadata when there is one, else the public key.
  std::string name() const;

  /// Only the public half and the metadata: what goes into a broker's allow directory.
  Certificate public_only() const;

 private:
  Certificate() = default;
  std::string public_key_;
  std::string secret_key_;
  std::map<std::string, std::string> metadata_;
};

/// What a program presents to its broker. Plaintext (both empty) is the default; with the
/// broker's public certificate set, every socket to the broker uses CURVE: encrypted, and the
/// broker authenticated by its key. `own` is this program's secret certificate; when it is not
/// set, a fresh key pair is made per process (enough for a broker that admits any key).
struct Credentials {
  std::optional<Certificate> own;
  std::optional<Certificate> broker;

  bool secure() const noexcept { return broker.has_value(); }

  /// Loads `own_secret_path` (may be empty) and `broker_public_path` (may be empty: plaintext).
  /// Throws CertificateError naming the file, or saying which one is missing when
  /// `own_secret_path` is set alone, and when `own_secret_path` holds no secret key.
  static Credentials load(const std::string& own_secret_path, const std::string& broker_public_path);

  /// From `ROC_CERT` (own secret certificate) and `ROC_BROKER_CERT` (the broker's public one);
  /// plaintext when neither is set. Throws like load(), naming the variable.
  static Credentials from_env();

  /// How a program introduces itself in logs and `roc whoami`: "plaintext", or the own key's
  /// name and public key and the broker key it trusts.
  std::string describe() const;
};

}  // namespace roc
