// ZeroMQ certificate files (the ZPL subset that czmq's zcert and pyzmq's zmq.auth write):
// comment lines, a `metadata` and a `curve` section, and `name = "value"` entries under them.
#include "roc/security.hpp"

#include "roc/error.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace roc {
namespace {

constexpr std::size_t z85_key_size = 40;
// Certificates are a few hundred bytes; a file far larger is not one, and is not read whole.
constexpr std::size_t max_file_size = 64 * 1024;

bool valid_z85_key(const std::string& key) {
  if (key.size() != z85_key_size) return false;
  std::uint8_t binary[32];
  return zmq_z85_decode(binary, key.c_str()) != nullptr;
}

bool valid_meta_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool valid_meta_value(const std::string& value) {
  return value.find_first_of("\"\r\n") == std::string::npos && value.find('\0') == std::string::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A ZPL value: "quoted", 'quoted', or bare up to a comment.
std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) {
    const char quote = v.front();
    const auto close = v.find(quote, 1);
    if (close != std::string_view::npos) return v.substr(1, close - 1);
  }
  if (const auto hash = v.find('#'); hash != std::string_view::npos) v = trim(v.substr(0, hash));
  return v;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read the certificate '{}': {}", path, std::strerror(errno)));
  std::string text(max_file_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_file_size)
    throw Error(fmt::format("'{}' is not a certificate: larger than {} bytes", path, max_file_size));
  return text;
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  // Created with its final mode, so a secret is never readable by others, not even briefly.
  const auto tmp = path + ".tmp";
  std::remove(tmp.c_str());
  FILE* file = nullptr;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd >= 0) file = ::fdopen(fd, "w");
  const bool written = file != nullptr && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const int error = errno;
  if (file != nullptr) std::fclose(file);
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int why = written ? errno : error;
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot write the certificate '{}': {}", path, std::strerror(why)));
  }
}

std::string header(std::string_view kind, std::string_view advice) {
  return fmt::format("#   ZeroMQ CURVE {} certificate, written by roc on {:%Y-%m-%d %H:%M:%S} UTC\n#   {}\n\n", kind,
                     fmt::gmtime(std::time(nullptr)), advice);
}

}  // namespace

Certificate Certificate::generate() {
  char public_key[z85_key_size + 1];
  char secret_key[z85_key_size + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    throw Error(fmt::format("cannot make a CURVE key pair: {} (is libzmq built with CURVE?)", zmq_strerror(zmq_errno())));
  Certificate c;
  c.public_key_ = public_key;
  c.secret_key_ = secret_key;
  return c;
}

Certificate Certificate::load(const std::string& path) {
  const auto text = read_file(path);
  Certificate c;
  std::string section;
  std::istringstream lines(text);
  std::string raw;
  for (int number = 1; std::getline(lines, raw); ++number) {
    const auto fail = [&](std::string_view why) {
      throw Error(fmt::format("'{}' line {}: {}", path, number, why));
    };
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const bool indented = raw.front() == ' ' || raw.front() == '\t';
    const auto equals = line.find('=');
    if (!indented) {
      if (equals != std::string_view::npos) fail("an entry outside a section");
      section = std::string(line);
      continue;
    }
    if (equals == std::string_view::npos) continue;  // a nested section: none in certificates
    const auto name = std::string(trim(line.substr(0, equals)));
    const auto value = std::string(unquote(trim(line.substr(equals + 1))));
    if (section == "metadata") {
      if (!valid_meta_name(name)) fail(fmt::format("'{}' is not a metadata name", name));
      if (!valid_meta_value(value)) fail(fmt::format("the value of '{}' has a quote or a control character", name));
      c.metadata_[name] = value;
    } else if (section == "curve" && (name == "public-key" || name == "secret-key")) {
      if (!valid_z85_key(value)) fail(fmt::format("the {} is not {} characters of Z85", name, z85_key_size));
      (name == "public-key" ? c.public_key_ : c.secret_key_) = value;
    }
  }
  if (c.public_key_.empty() && c.secret_key_.empty())
    throw Error(fmt::format("'{}' is not a ZeroMQ certificate: it has no curve public-key", path));
  if (!c.secret_key_.empty()) {
    char derived[z85_key_size + 1];
    if (zmq_curve_public(derived, c.secret_key_.c_str()) != 0)
      throw Error(fmt::format("'{}': the secret key is not a CURVE key", path));
    if (c.public_key_.empty()) c.public_key_ = derived;
    if (c.public_key_ != derived)
      throw Error(fmt::format("'{}': the public key does not belong to the secret key", path));
  }
  return c;
}

std::string Certificate::public_text() const {
  std::string text = header("public", "Safe to share: a broker admits this key when this file is in its allow directory.");
  text += "metadata\n";
  for (const auto& [name, value] : metadata_) text += fmt::format("    {} = \"{}\"\n", name, value);
  text += fmt::format("curve\n    public-key = \"{}\"\n", public_key_);
  return text;
}

std::string Certificate::secret_text() const {
  std::string text = header("secret", "Keep private: whoever reads this file can act as this key.");
  text += "metadata\n";
  for (const auto& [name, value] : metadata_) text += fmt::format("    {} = \"{}\"\n", name, value);
  text += fmt::format("curve\n    public-key = \"{}\"\n    secret-key = \"{}\"\n", public_key_, secret_key_);
  return text;
}

void Certificate::save(const std::string& base) const {
  write_file(base + ".key", public_text(), 0644);
  if (has_secret()) write_file(base + ".key_secret", secret_text(), 0600);
}

void Certificate::set_meta(const std::string& name, const std::string& value) {
  if (!valid_meta_name(name))
    throw std::invalid_argument(
        fmt::format("'{}' is not a metadata name: use letters, digits, '-', '_' and '.'", name));
  if (!valid_meta_value(value))
    throw std::invalid_argument(fmt::format("the value of '{}' may not hold a '\"' or a line break", name));
  metadata_[name] = value;
}

std::optional<std::string> Certificate::meta(const std::string& name) const {
  auto it = metadata_.find(name);
  if (it == metadata_.end()) return std::nullopt;
  return it->second;
}

std::string Certificate::name() const {
  auto n = meta("name");
  return n && !n->empty() ? *n : public_key_;
}

Certificate Certificate::public_only() const {
  Certificate c = *this;
  c.secret_key_.clear();
  return c;
}

}  // namespace roc
