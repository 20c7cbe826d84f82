// A secured broker for tests: its key pair and an allow directory in a temporary folder, keys
// made and admitted with metadata, and endpoints that present a given key. Removed on destruction.
#pragma once

#include <roc/broker.hpp>
#include <roc/endpoints.hpp>
#include <roc/security.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace roc::test {

class SecureLab {
 public:
  SecureLab();
  ~SecureLab();
  SecureLab(const SecureLab&) = delete;
  SecureLab& operator=(const SecureLab&) = delete;

  /// A fresh key named `name` (metadata `name`) with `meta`; its public certificate is put into
  /// the allow directory as `<name>.key` when `admitted`.
  Certificate key(const std::string& name, const std::map<std::string, std::string>& meta = {},
                  bool admitted = true);
  /// Takes `name`'s public certificate out of the allow directory.
  void revoke(const std::string& name);

  /// Options for a broker on 127.0.0.1 (free port, fast heartbeats) with this lab's certificate
  /// and allow directory.
  BrokerOptions broker_options() const;
  /// `broker` presenting `own` and trusting this lab's broker key.
  Endpoints as(const Certificate& own, const Endpoints& broker) const;

  const Certificate& broker_key() const noexcept { return broker_key_; }
  const std::filesystem::path& directory() const noexcept { return directory_; }
  std::filesystem::path allow_directory() const { return directory_ / "allow"; }

 private:
  std::filesystem::path directory_;
  Certificate broker_key_;
};

}  // namespace roc::test
