// Fuzzes the IDL reader (idl/model/idl_json.hpp) — what `roc describe` and IDL-driven code
// generation read, and what a server's rpc.describe reply is parsed with. A document either
// reads or throws IdlError; one that reads writes back to a document that reads to the same text.
#include "model/idl_json.hpp"

#include <cstdlib>

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roc::idl::Document doc;
  try {
    doc = roc::idl::read_idl(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const roc::idl::IdlError&) {
    return 0;
  }
  const std::string written = roc::idl::write_idl(doc);
  check(roc::idl::write_idl(roc::idl::read_idl(written, "written")) == written);
  for (const auto& object : doc.objects) {
    const auto described = roc::idl::describe_document(doc, object.name);
    roc::idl::read_idl(roc::idl::write_idl(described), "described");
  }
  return 0;
}
