// Parsing of broker addresses (PROTOCOL §1): host, host:port, tcp://host:port, [v6]:port, ipc://path.
#include "roc/endpoints.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace roc {
namespace {

constexpr std::string_view tcp_scheme = "tcp://";
constexpr std::string_view ipc_scheme = "ipc://";

[[noreturn]] void bad_address(std::string_view address, std::string_view why) {
  throw std::invalid_argument(fmt::format("bad broker address '{}': {}", address, why));
}

std::uint16_t parse_port(std::string_view address, std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535 - 2)
    bad_address(address, fmt::format("port '{}' is not a number from 0 to 65533", text));
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Endpoints::Endpoints() : Endpoints(fmt::format("{}:{}", default_host, default_port)) {}

Endpoints::Endpoints(std::string_view address) {
  if (address.empty()) bad_address(address, "it is empty");

  if (address.substr(0, ipc_scheme.size()) == ipc_scheme) {
    if (address.size() == ipc_scheme.size()) bad_address(address, "no path after ipc://");
    address_ = std::string(address);
    calls_ = address_;
    publish_ = address_ + ".pub";
    subscribe_ = address_ + ".sub";
    return;
  }

  std::string_view rest = address;
  if (rest.substr(0, tcp_scheme.size()) == tcp_scheme) rest.remove_prefix(tcp_scheme.size());
  if (rest.find("://") != std::string_view::npos)
    bad_address(address, "only tcp:// and ipc:// are supported");

  std::string_view host = rest;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) bad_address(address, "missing ']' after an IPv6 address");
    host = rest.substr(0, close + 1);
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_address(address, "expected ':' after ']'");
      port_text = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  if (host.empty()) bad_address(address, "no host name");

  host_ = std::string(host);
  port_ = port_text.empty() ? default_port : parse_port(address, port_text);
  address_ = fmt::format("{}:{}", host_, port_);
  calls_ = fmt::format("tcp://{}:{}", host_, port_);
  publish_ = fmt::format("tcp://{}:{}", host_, port_ + 1);
  subscribe_ = fmt::format("tcp://{}:{}", host_, port_ + 2);
}

Endpoints Endpoints::resolve(std::string_view address, const std::string& cert, const std::string& broker_cert) {
  auto endpoints = address.empty() ? from_env() : Endpoints(address);
  if (cert.empty() && broker_cert.empty()) return endpoints;  // the environment decides, as for any program
  auto from = [](const std::string& given, const char* variable) {
    if (!given.empty()) return given;
    const char* value = std::getenv(variable);
    return value == nullptr ? std::string() : std::string(value);
  };
  endpoints.set_credentials(Credentials::load(from(cert, "ROC_CERT"), from(broker_cert, "ROC_BROKER_CERT")));
  return endpoints;
}

Credentials Endpoints::credentials() const {
  return credentials_ ? *credentials_ : Credentials::from_env();
}

Endpoints& Endpoints::set_credentials(Credentials credentials) {
  credentials_ = std::make_shared<const Credentials>(std::move(credentials));
  return *this;
}

Endpoints Endpoints::from_env() {
  const char* value = std::getenv("ROC_BROKER");
  if (value == nullptr || *value == '\0') return Endpoints{};
  return Endpoints{value};
}

}  // namespace roc
