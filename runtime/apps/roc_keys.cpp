// `roc keygen` and `roc whoami`: CURVE key pairs, and which key this program presents.
#include "roc_command.hpp"

#include <roc/security.hpp>

#include <fmt/format.h>

#include <sys/stat.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace roc::cli {
namespace {

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

/// `roc keygen PATH`: a fresh key pair in PATH.key and PATH.key_secret, never over existing files
/// unless `force` (the old secret would be lost for good).
int cmd_keygen(const Globals& g, const std::string& path, const std::vector<std::string>& meta, bool force) {
  auto certificate = roc::Certificate::generate();
  const auto slash = path.find_last_of('/');
  const auto base_name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (base_name.empty()) throw UsageError(fmt::format("'{}' names a directory: give a file name, e.g. {}lab-pc", path, path));
  // Named after the file unless told otherwise: logs and errors then say "lab-pc-3", not a key.
  certificate.set_meta("name", base_name);
  for (const auto& entry : meta) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError(fmt::format("--meta '{}' is not NAME=VALUE", entry));
    try {
      certificate.set_meta(entry.substr(0, equals), entry.substr(equals + 1));
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("--meta: {}", e.what()));
    }
  }
  const auto public_file = path + ".key";
  const auto secret_file = path + ".key_secret";
  if (!force)
    for (const auto& file : {public_file, secret_file})
      if (file_exists(file))
        throw roc::CertificateError(fmt::format("'{}' exists and is left as it is (--force replaces it)", file));
  certificate.save(path);
  if (g.json) {
    roc::Json out = roc::Json::parse("{}");
    auto& a = out.allocator();
    out.value().AddMember("public_key", roc::json::Value(certificate.public_key(), a), a);
    out.value().AddMember("public", roc::json::Value(public_file, a), a);
    out.value().AddMember("secret", roc::json::Value(secret_file, a), a);
    roc::json::Value m(rapidjson::kObjectType);
    for (const auto& [name, value] : certificate.metadata())
      m.AddMember(roc::json::Value(name, a), roc::json::Value(value, a), a);
    out.value().AddMember("metadata", m, a);
    std::cout << out.dump() << '\n';
    return exit_code::ok;
  }
  const auto width = secret_file.size();
  std::cout << fmt::format("public key  {}\n", certificate.public_key())
            << fmt::format("wrote       {:<{}}  public: copy it into the broker's allow directory\n", public_file, width)
            << fmt::format("            {:<{}}  secret, mode 0600: keep it on this machine\n", secret_file, width);
  return exit_code::ok;
}

/// The metadata names the broker reads roles from (docs/security.md).
constexpr const char* role_names[] = {"roc-serve", "roc-call", "roc-read", "roc-publish"};

/// `roc whoami`: the key this program presents and the broker key it trusts, with the roles the
/// own certificate names. Reads files only; asks the broker nothing.
int cmd_whoami(const Globals& g) {
  const auto& endpoints = g.endpoints();
  const auto credentials = endpoints.credentials();
  const auto* own = credentials.own ? &*credentials.own : nullptr;
  if (g.json) {
    roc::Json out = roc::Json::parse("{}");
    auto& a = out.allocator();
    auto text = [&](const std::string& s) { return roc::json::Value(s, a); };
    out.value().AddMember("broker", text(endpoints.address()), a);
    out.value().AddMember("secure", credentials.secure(), a);
    out.value().AddMember("identity", text(credentials.describe()), a);
    roc::json::Value key, name, broker_key;
    if (own) {
      key = text(own->public_key());
      name = text(own->name());
    }
    if (credentials.broker) broker_key = text(credentials.broker->public_key());
    out.value().AddMember("key", key, a);
    out.value().AddMember("name", name, a);
    out.value().AddMember("broker_key", broker_key, a);
    roc::json::Value roles(rapidjson::kObjectType);
    if (own)
      for (const char* role : role_names)
        if (auto value = own->meta(role)) roles.AddMember(rapidjson::StringRef(role), text(*value), a);
    out.value().AddMember("roles", roles, a);
    std::cout << out.dump() << '\n';
    return exit_code::ok;
  }
  std::cout << fmt::format("broker    {}\nidentity  {}\n", endpoints.address(), credentials.describe());
  if (!own) return exit_code::ok;
  std::string roles;
  for (const char* role : role_names)
    if (auto value = own->meta(role)) roles += fmt::format("{}{} = \"{}\"", roles.empty() ? "" : "; ", role, *value);
  if (roles.empty()) roles = "none set: the broker's defaults (docs/security.md)";
  std::cout << fmt::format("roles     {}\n          (as this program's certificate says; the broker goes by its own "
                           "copy in its allow directory)\n",
                           roles);
  return exit_code::ok;
}

struct KeygenArgs {
  std::string path;
  std::vector<std::string> meta;
  bool force = false;
};

}  // namespace

void add_key_commands(CLI::App& app, const Globals& g, int& code) {
  auto a = std::make_shared<KeygenArgs>();
  auto* keygen = app.add_subcommand("keygen", "Make a CURVE key pair: PATH.key (public) and PATH.key_secret (mode 0600)");
  keygen->add_option("path", a->path, "Path without extension, e.g. keys/lab-pc-3")->required()->type_name("PATH");
  keygen->add_option("--meta", a->meta,
                     "NAME=VALUE metadata, repeatable: name (default: the file name), roc-serve, roc-call, "
                     "roc-read, roc-publish (docs/security.md)")
      ->type_name("NAME=VALUE");
  keygen->add_flag("--force", a->force, "Replace existing files (the old key is lost)");
  keygen->callback([a, &g, &code] { code = run_guarded(g, [&] { return cmd_keygen(g, a->path, a->meta, a->force); }); });

  auto* whoami = app.add_subcommand("whoami", "Print the key roc presents to the broker and the broker key it trusts");
  whoami->callback([&g, &code] { code = run_guarded(g, [&] { return cmd_whoami(g); }); });
}

}  // namespace roc::cli
