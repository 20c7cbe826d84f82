#include "support/secure_lab.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

using namespace std::chrono_literals;

namespace roc::test {
namespace {

std::filesystem::path make_temp_directory() {
  auto pattern = (std::filesystem::temp_directory_path() / "roc-lab-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temporary directory");
  return pattern;
}

}  // namespace

SecureLab::SecureLab() : directory_(make_temp_directory()), broker_key_(Certificate::generate()) {
  broker_key_.set_meta("name", "test-broker");
  std::filesystem::create_directory(allow_directory());
}

SecureLab::~SecureLab() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

Certificate SecureLab::key(const std::string& name, const std::map<std::string, std::string>& meta, bool admitted) {
  auto key = Certificate::generate();
  key.set_meta("name", name);
  for (const auto& [k, v] : meta) key.set_meta(k, v);
  if (admitted) key.public_only().save((allow_directory() / name).string());
  return key;
}

void SecureLab::revoke(const std::string& name) { std::filesystem::remove(allow_directory() / (name + ".key")); }

BrokerOptions SecureLab::broker_options() const {
  BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = 100ms;
  options.unknown_object_grace = 300ms;
  options.certificate = broker_key_;
  options.allow_directory = allow_directory().string();
  return options;
}

Endpoints SecureLab::as(const Certificate& own, const Endpoints& broker) const {
  auto endpoints = broker;
  endpoints.set_credentials(Credentials{own, broker_key_.public_only()});
  return endpoints;
}

}  // namespace roc::test
