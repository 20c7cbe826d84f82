// The shared parts of `roc`'s subcommands (see roc_command.hpp).
#include "roc_command.hpp"

#include <roc/error.hpp>
#include <roc/security.hpp>

#include <fmt/format.h>

#include <iostream>

namespace roc::cli {

Json parse_json_argument(const std::string& text, const char* what) {
  try {
    return Json::parse(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{} is not valid JSON: {}", what, e.what()));
  }
}

void print_json(const Json& j, const Globals& g) { std::cout << (g.json ? j.dump() : j.pretty()) << '\n'; }

std::string timeout_text(const Globals& g) { return fmt::format("{:g} s", g.timeout_s); }

int run_guarded(const Globals& g, std::function<int()> body) {
  g.command = std::move(body);
  return exit_code::ok;
}

namespace {

/// The error's data, unless its message already says all of it (a method that threw carries its
/// type and text in both: printed once).
std::string data_not_in_message(const RemoteError& e) {
  if (e.data_json().empty()) return {};
  try {
    const auto data = Json::parse(e.data_json());
    auto said = [&](const json::Value& v) {
      return v.IsString() && e.message().find(v.GetString()) != std::string::npos;
    };
    if (said(data.value())) return {};
    if (data.value().IsObject()) {
      bool all = true;
      for (const auto& member : data.value().GetObject()) all = all && said(member.value);
      if (all) return {};
    }
  } catch (const std::exception&) {
  }
  return " " + e.data_json();
}

}  // namespace

int run_command(const Globals& g) {
  if (!g.command) return exit_code::ok;
  try {
    return g.command();
  } catch (const CertificateError& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::certificate;
  } catch (const UsageError& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::usage;
  } catch (const NotSupported& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::unsupported;
  } catch (const BrokerUnreachable& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::unreachable;
  } catch (const TimeoutError& e) {
    std::cerr << "roc: timeout: " << e.what() << '\n';
    // With CURVE, a broker that does not admit a key says nothing at all: point at the likely cause.
    if (g.endpoints().credentials().secure())
      std::cerr << "roc: with CURVE on, a broker that does not admit this key does not answer; "
                   "`roc whoami` shows the key, the broker's --allow directory must hold its .key file\n";
    return exit_code::timeout;
  } catch (const ObjectNotFound& e) {
    std::cerr << "roc: not found: " << e.message() << '\n';
    return exit_code::not_found;
  } catch (const RemoteError& e) {
    std::cerr << fmt::format("roc: remote error {}: {}{}\n", e.code(), e.message(), data_not_in_message(e));
    return exit_code::remote_error;
  } catch (const std::invalid_argument& e) {  // a malformed --broker address, for one
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::usage;
  } catch (const std::exception& e) {
    std::cerr << "roc: " << e.what() << '\n';
    return exit_code::failure;
  }
}

}  // namespace roc::cli
