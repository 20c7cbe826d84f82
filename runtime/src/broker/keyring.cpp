// Admitted keys and their rights, read from an allow directory (see keyring.hpp).
#include "broker/keyring.hpp"

#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace roc::detail {
namespace {

// A metadata list: words separated by spaces or commas ("vnir cam-*", "log,status.vnir").
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text + ' ') {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

std::optional<std::vector<std::string>> list(const Certificate& c, const char* name) {
  auto value = c.meta(name);
  if (!value) return std::nullopt;
  return words(*value);
}

constexpr std::string_view public_suffix = ".key";

bool any_glob(const std::vector<std::string>& patterns, std::string_view id) {
  const std::string text(id);
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), text.c_str(), 0) == 0; });
}

}  // namespace

KeyRights KeyRights::from(const Certificate& certificate) {
  KeyRights r;
  r.name = certificate.name();
  r.public_key = certificate.public_key();
  r.serve = list(certificate, "roc-serve");
  r.call = list(certificate, "roc-call");
  r.read = list(certificate, "roc-read").value_or(std::vector<std::string>{});
  r.publish = list(certificate, "roc-publish");
  return r;
}

std::optional<bool> KeyRights::may_serve(std::string_view id) const {
  if (!serve) return std::nullopt;
  return any_glob(*serve, id);
}

bool KeyRights::may_call(std::string_view id) const { return !call || any_glob(*call, id); }

bool KeyRights::may_read(std::string_view id) const { return any_glob(read, id); }

bool KeyRights::may_publish(std::string_view topic) const {
  if (!publish) return true;
  return std::any_of(publish->begin(), publish->end(),
                     [&](const std::string& prefix) { return topic.substr(0, prefix.size()) == prefix; });
}

bool KeyRights::is_read_method(std::string_view method) {
  return method == "rpc.get" || method == "rpc.describe" || method == "rpc.ping" || method == "rpc.signature";
}

std::shared_ptr<const Keyring> Keyring::open() {
  auto ring = std::make_shared<Keyring>();
  ring->open_ = true;
  return ring;
}

std::shared_ptr<const Keyring> Keyring::load(const std::string& directory) {
  namespace fs = std::filesystem;
  auto ring = std::make_shared<Keyring>();
  std::error_code error;
  fs::directory_iterator it(directory, error), end;
  if (error) throw Error(fmt::format("cannot read the allow directory '{}': {}", directory, error.message()));
  for (; it != end; it.increment(error)) {
    const auto path = it->path().string();
    const auto file = it->path().filename().string();
    if (file.size() <= public_suffix.size() || file.compare(file.size() - public_suffix.size(), public_suffix.size(), public_suffix) != 0)
      continue;  // *.key only: a secret (*.key_secret) or anything else is not an admission
    try {
      const auto certificate = Certificate::load(path);
      if (certificate.has_secret())
        spdlog::warn("broker: '{}' holds a secret key; an allow directory needs only public certificates", path);
      auto rights = KeyRights::from(certificate);
      ring->by_key_.erase(rights.public_key);  // the same key in two files: the last one read counts
      const KeyRights& stored = ring->rights_.emplace_back(std::move(rights));
      ring->by_key_.emplace(stored.public_key, &stored);
    } catch (const Error& e) {
      spdlog::warn("broker: skipped '{}' in the allow directory: {}", path, e.what());
    }
  }
  if (error) throw Error(fmt::format("cannot read the allow directory '{}': {}", directory, error.message()));
  return ring;
}

const KeyRights* Keyring::find(std::string_view public_key) const {
  if (open_) return public_key.empty() ? nullptr : &default_rights_;
  auto it = by_key_.find(public_key);
  return it == by_key_.end() ? nullptr : it->second;
}

std::string_view sender_key(const zmq::message_t& frame) {
  const char* key = zmq_msg_gets(frame.handle(), "User-Id");
  return key == nullptr ? std::string_view() : std::string_view(key);
}

}  // namespace roc::detail
