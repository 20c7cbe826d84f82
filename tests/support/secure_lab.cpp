#include "support/secure_lab.hpp"

#include "support/test_support.hpp"

#include <stdexcept>

using namespace std::chrono_literals;

namespace roc::test {

SecureLab::SecureLab() : broker_key_(Certificate::generate()) {
  broker_key_.set_meta("name", "test-broker");
  std::filesystem::create_directory(allow_directory());
}

Certificate SecureLab::key(const std::string& name, const std::map<std::string, std::string>& meta) {
  auto key = stranger(name);
  for (const auto& [k, v] : meta) key.set_meta(k, v);
  admit(key);
  return key;
}

Certificate SecureLab::stranger(const std::string& name) {
  auto key = Certificate::generate();
  key.set_meta("name", name);
  return key;
}

void SecureLab::admit(const Certificate& key) { key.public_only().save((allow_directory() / key.name()).string()); }

void SecureLab::revoke(const std::string& name) {
  if (!std::filesystem::remove(allow_directory() / (name + ".key")))
    throw std::runtime_error("cannot revoke '" + name + "': it is not in the allow directory");
}

// CURVE's crypto on top of ThreadSanitizer's slowdown can make heartbeats late: the expiry
// (interval × liveness) stretches with the build, nothing here tests its timing.
constexpr auto heartbeat_interval = 100ms * sanitizer_slowdown;

ServerOptions SecureLab::server_options() {
  auto options = fast_server();
  options.heartbeat_interval = heartbeat_interval;
  return options;
}

BrokerOptions SecureLab::broker_options(Admission admission) const {
  BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.heartbeat_interval = heartbeat_interval;
  options.unknown_object_grace = 300ms;
  options.certificate = broker_key_;
  if (admission == Admission::listed) options.allow_directory = allow_directory().string();
  return options;
}

Endpoints SecureLab::as(std::optional<Certificate> own, const Endpoints& broker) const {
  auto endpoints = broker;
  endpoints.set_credentials(Credentials{std::move(own), broker_key_.public_only()});
  return endpoints;
}

Endpoints SecureLab::plaintext(const Endpoints& broker) {
  auto endpoints = broker;
  endpoints.set_credentials(Credentials{});
  return endpoints;
}

SecuredBroker::SecuredBroker(Admission admission) : broker(lab.broker_options(admission)) { broker.start(); }

Certificate SecuredBroker::key(const std::string& name, const std::map<std::string, std::string>& meta) {
  auto made = lab.key(name, meta);
  broker.reload_keys();
  return made;
}

std::unique_ptr<Server> SecuredBroker::serve(const Certificate& key, const std::string& id,
                                             testing_lab::Device& device) const {
  auto server = std::make_unique<Server>(as(key), SecureLab::server_options());
  server->publish(id, device);
  server->start();
  return server;
}

std::size_t SecuredBroker::workers_of(const std::string& id) const {
  const auto all = broker.workers();
  const auto it = all.find(id);
  return it == all.end() ? 0 : it->second;
}

}  // namespace roc::test
