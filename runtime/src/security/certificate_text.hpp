// The text of a ZeroMQ certificate file, apart from the disk: what Certificate::load parses and
// save() writes, and what the certificate fuzzer feeds straight in.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace roc::detail {

/// A certificate's content: Z85 keys (40 characters; secret_key may be empty) and metadata.
struct CertificateFields {
  std::string public_key;
  std::string secret_key;
  std::map<std::string, std::string> metadata;
  bool operator==(const CertificateFields& other) const {
    return public_key == other.public_key && secret_key == other.secret_key && metadata == other.metadata;
  }
};

/// Certificates are a few hundred bytes; a text far larger is not one.
inline constexpr std::size_t max_certificate_size = 64 * 1024;

/// Parses the ZPL subset czmq's zcert and pyzmq's zmq.auth write: `#` comments, a `metadata` and
/// a `curve` section, `name = "value"` entries indented under them; anything else in other
/// sections or nested deeper is ignored. When a secret key is given the public key is derived
/// from it (and must match one that is given). `source` names the text in errors (a path).
/// Throws roc::CertificateError naming `source`, and the line for a syntax error.
CertificateFields parse_certificate(std::string_view text, const std::string& source);

/// The file text: a comment header, `metadata`, then `curve` with the public key and, when
/// `with_secret`, the secret key. Entries are indented with four spaces, values double-quoted.
std::string format_certificate(const CertificateFields& fields, bool with_secret);

/// ZPL's name characters: letters, digits and `$-_@.&+/`; not empty.
bool valid_meta_name(std::string_view name);
/// No `"`, line break or NUL: what a double-quoted ZPL value can hold.
bool valid_meta_value(std::string_view value);

}  // namespace roc::detail
