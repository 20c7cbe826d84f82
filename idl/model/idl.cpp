// Small queries on the IDL model.
#include "model/idl.hpp"

namespace roc::idl {

const TypeDecl* Document::find_type(const std::string& name) const {
  for (const auto& t : types) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string unqualified(const std::string& qualified) {
  auto pos = qualified.rfind("::");
  return pos == std::string::npos ? qualified : qualified.substr(pos + 2);
}

std::string namespace_of(const std::string& qualified) {
  auto pos = qualified.rfind("::");
  return pos == std::string::npos ? std::string{} : qualified.substr(0, pos);
}

}  // namespace roc::idl
