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

int run_guarded(const Globals& g, const std::function<int()>& body) {
  try {
    return body();
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
    std::cerr << fmt::format("roc: remote error {}: {}", e.code(), e.message());
    if (!e.data_json().empty()) std::cerr << " " << e.data_json();
    std::cerr << '\n';
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
