// ZeroMQ certificate files (the ZPL subset that czmq's zcert and pyzmq's zmq.auth write):
// comment lines, a `metadata` and a `curve` section, and `name = "value"` entries under them.
#include "security/certificate_text.hpp"

#include "roc/security.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace roc {
namespace detail {
namespace {

constexpr std::size_t z85_key_size = 40;

bool valid_z85_key(const std::string& key) {
  // libzmq reads keys up to a NUL: one inside would let a short key pass and leave the rest of
  // the key buffer unset (found by certificate_fuzz).
  if (key.size() != z85_key_size || key.find('\0') != std::string::npos) return false;
  std::uint8_t binary[32];
  return zmq_z85_decode(binary, key.c_str()) != nullptr;
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

// Columns of leading whitespace; ZPL indents by four spaces a level, a tab counts as one level.
std::size_t indentation(std::string_view raw) {
  std::size_t columns = 0;
  for (char c : raw) {
    if (c == ' ')
      columns += 1;
    else if (c == '\t')
      columns += 4;
    else
      break;
  }
  return columns;
}

}  // namespace

bool valid_meta_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || std::strchr("$-_@.&+/", c) != nullptr;
  });
}

bool valid_meta_value(std::string_view value) {
  return value.find_first_of(std::string_view("\"\r\n\0", 4)) == std::string_view::npos;
}

CertificateFields parse_certificate(std::string_view text, const std::string& source) {
  if (text.size() > max_certificate_size)
    throw CertificateError(
        fmt::format("'{}' is not a certificate: larger than {} bytes", source, max_certificate_size));
  CertificateFields c;
  std::string section;
  std::size_t entry_indent = 0;  // of the section's direct entries; 0 until the first one
  int number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    const auto raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto fail = [&](std::string_view why) {
      throw CertificateError(fmt::format("'{}' line {}: {}", source, number, why));
    };
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const auto indent = indentation(raw);
    const auto equals = line.find('=');
    if (indent == 0) {
      if (equals != std::string_view::npos) fail("an entry outside a section");
      section = std::string(trim(line.substr(0, line.find('#'))));
      entry_indent = 0;
      continue;
    }
    if (section.empty()) fail("an indented line before any section");
    if (entry_indent == 0 || indent < entry_indent) entry_indent = indent;
    // Deeper lines belong to a nested section, and a line without '=' opens one: certificates
    // have none, and what is in them must not pass for the section's own entries.
    if (indent > entry_indent || equals == std::string_view::npos) continue;
    const auto name = std::string(trim(line.substr(0, equals)));
    const auto value = std::string(unquote(trim(line.substr(equals + 1))));
    if (section == "metadata") {
      if (!valid_meta_name(name)) fail(fmt::format("'{}' is not a metadata name", name));
      if (!valid_meta_value(value)) fail(fmt::format("the value of '{}' has a quote or a control character", name));
      c.metadata[name] = value;
    } else if (section == "curve" && (name == "public-key" || name == "secret-key")) {
      if (!valid_z85_key(value)) fail(fmt::format("the {} is not {} characters of Z85", name, z85_key_size));
      (name == "public-key" ? c.public_key : c.secret_key) = value;
    }
  }
  if (c.public_key.empty() && c.secret_key.empty())
    throw CertificateError(fmt::format("'{}' is not a ZeroMQ certificate: it has no curve public-key", source));
  if (!c.secret_key.empty()) {
    char derived[z85_key_size + 1];
    if (zmq_curve_public(derived, c.secret_key.c_str()) != 0)
      throw CertificateError(fmt::format("'{}': the secret key is not a CURVE key", source));
    if (c.public_key.empty()) c.public_key = derived;
    if (c.public_key != derived)
      throw CertificateError(fmt::format("'{}': the public key does not belong to the secret key", source));
  }
  return c;
}

std::string format_certificate(const CertificateFields& fields, bool with_secret) {
  std::string text = fmt::format(
      "#   ZeroMQ CURVE {} certificate, written by roc on {:%Y-%m-%d %H:%M:%S} UTC\n#   {}\n\n",
      with_secret ? "secret" : "public", fmt::gmtime(std::time(nullptr)),
      with_secret ? "Keep private: whoever reads this file can act as this key."
                  : "Safe to share: a broker admits this key when this file is in its allow directory.");
  text += "metadata\n";
  for (const auto& [name, value] : fields.metadata) text += fmt::format("    {} = \"{}\"\n", name, value);
  text += fmt::format("curve\n    public-key = \"{}\"\n", fields.public_key);
  if (with_secret) text += fmt::format("    secret-key = \"{}\"\n", fields.secret_key);
  return text;
}

}  // namespace detail

namespace {

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CertificateError(fmt::format("cannot read the certificate '{}': {}", path, std::strerror(errno)));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw CertificateError(fmt::format("'{}' is not a certificate: not a regular file", path));
  }
  // One byte more than allowed is read, so that a longer file is refused rather than cut.
  std::string text(detail::max_certificate_size + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const auto n = ::read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw CertificateError(fmt::format("cannot read the certificate '{}': {}", path, std::strerror(error)));
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(size);
  return text;
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  // Created with its final mode, so a secret is never readable by others, not even briefly.
  const auto tmp = path + ".tmp";
  std::remove(tmp.c_str());
  FILE* file = nullptr;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd >= 0) file = ::fdopen(fd, "w");
  bool written = file != nullptr && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  int error = errno;
  // fclose flushes: a full disk shows there, and a cut certificate must not replace a whole one.
  if (file != nullptr && std::fclose(file) != 0 && written) {
    written = false;
    error = errno;
  } else if (file == nullptr && fd >= 0) {
    ::close(fd);
  }
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int why = written ? errno : error;
    std::remove(tmp.c_str());
    throw CertificateError(fmt::format("cannot write the certificate '{}': {}", path, std::strerror(why)));
  }
}

}  // namespace

Certificate Certificate::generate() {
  char public_key[detail::z85_key_size + 1];
  char secret_key[detail::z85_key_size + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    throw CertificateError(
        fmt::format("cannot make a CURVE key pair: {} (is libzmq built with CURVE?)", zmq_strerror(zmq_errno())));
  Certificate c;
  c.public_key_ = public_key;
  c.secret_key_ = secret_key;
  return c;
}

Certificate Certificate::load(const std::string& path) {
  auto fields = detail::parse_certificate(read_file(path), path);
  Certificate c;
  c.public_key_ = std::move(fields.public_key);
  c.secret_key_ = std::move(fields.secret_key);
  c.metadata_ = std::move(fields.metadata);
  return c;
}

std::string Certificate::public_text() const {
  return detail::format_certificate({public_key_, {}, metadata_}, false);
}

std::string Certificate::secret_text() const {
  return detail::format_certificate({public_key_, secret_key_, metadata_}, true);
}

void Certificate::save(const std::string& base) const {
  write_file(base + ".key", public_text(), 0644);
  if (has_secret()) write_file(base + ".key_secret", secret_text(), 0600);
}

void Certificate::set_meta(const std::string& name, const std::string& value) {
  if (!detail::valid_meta_name(name))
    throw std::invalid_argument(
        fmt::format("'{}' is not a metadata name: use letters, digits and $-_@.&+/", name));
  if (!detail::valid_meta_value(value))
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
