// Fuzzes the certificate reader: the whole input is the text of a certificate file, as it could
// sit in a broker's allow directory. Any text must parse or give roc::CertificateError; what
// parses must be a valid key pair, and what roc writes from it must read back the same.
#include "security/certificate_text.hpp"

#include "roc/security.hpp"

#include <zmq.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  roc::detail::CertificateFields fields;
  try {
    fields = roc::detail::parse_certificate(text, "fuzz.key");
  } catch (const roc::CertificateError&) {
    return 0;  // refused with a clear error: fine
  }
  check(fields.public_key.size() == 40);
  check(fields.secret_key.empty() || fields.secret_key.size() == 40);
  if (!fields.secret_key.empty()) {
    char derived[41];
    check(zmq_curve_public(derived, fields.secret_key.c_str()) == 0);
    check(fields.public_key == derived);
  }
  for (const auto& [name, value] : fields.metadata)
    check(roc::detail::valid_meta_name(name) && roc::detail::valid_meta_value(value));

  // Whatever was read, roc writes in a form it reads back unchanged, with and without the secret.
  const bool secret = !fields.secret_key.empty();
  check(roc::detail::parse_certificate(roc::detail::format_certificate(fields, secret), "again") == fields);
  auto public_half = fields;
  public_half.secret_key.clear();
  check(roc::detail::parse_certificate(roc::detail::format_certificate(fields, false), "public") == public_half);
  return 0;
}
