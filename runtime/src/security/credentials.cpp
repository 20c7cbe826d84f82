// Credentials: which certificates a program presents, from files or the environment.
#include "roc/security.hpp"

#include "roc/error.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace roc {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

Credentials Credentials::load(const std::string& own_secret_path, const std::string& broker_public_path) {
  Credentials c;
  if (broker_public_path.empty()) {
    if (!own_secret_path.empty())
      throw CertificateError(fmt::format("a certificate of this program is set ('{}') but not the broker's public "
                              "certificate: CURVE needs both (ROC_BROKER_CERT / --broker-cert)",
                              own_secret_path));
    return c;
  }
  c.broker = Certificate::load(broker_public_path).public_only();
  if (!own_secret_path.empty()) {
    c.own = Certificate::load(own_secret_path);
    if (!c.own->has_secret())
      throw CertificateError(fmt::format("'{}' holds no secret key: give this program its .key_secret file, the .key "
                              "file is the public half",
                              own_secret_path));
  }
  return c;
}

Credentials Credentials::from_env() {
  const auto own = env("ROC_CERT");
  const auto broker = env("ROC_BROKER_CERT");
  try {
    return load(own, broker);
  } catch (const CertificateError& e) {
    throw CertificateError(fmt::format("ROC_CERT/ROC_BROKER_CERT: {}", e.what()));
  }
}

std::string Credentials::describe() const {
  if (!secure()) return "plaintext (no broker certificate: ROC_BROKER_CERT / --broker-cert not set)";
  const auto own_text = own ? fmt::format("key '{}' ({})", own->name(), own->public_key())
                            : std::string("a key made for this process (admitted only by a broker without --allow)");
  return fmt::format("CURVE as {}, trusting broker key '{}' ({})", own_text, broker->name(), broker->public_key());
}

}  // namespace roc
