// Small queries on the IDL model.
#include "model/idl.hpp"

#include "model/type_ref.hpp"

#include <map>
#include <set>

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

bool is_proxy_member(const std::string& name) {
  static const std::set<std::string> names{"signature", "with_timeout", "handle", "async", "Async", "handle_"};
  return names.count(name) != 0;
}

namespace {

// What tells overloads apart in the proxy: each parameter's IDL type, and whether it is in/out.
// IDL types, not C++ spellings, so that `const char*` and `std::string` (both `string`) count
// as the same and an IDL-made proxy names methods as a header-made one does.
std::vector<std::string> proxy_param_types(const Method& m) {
  std::vector<std::string> out;
  for (const auto& p : m.params) out.push_back((p.inout ? "&" : "") + parse_type(p.type).str());
  return out;
}

bool set_can_use_cxx_name(const Object& o, const std::string& cxx, const std::vector<const Method*>& set) {
  if (is_proxy_member(cxx)) return false;
  std::set<std::vector<std::string>> signatures;
  for (const Method* m : set) {
    if (!signatures.insert(proxy_param_types(*m)).second) return false;
  }
  for (const auto& m : o.methods) {
    if (m.name == cxx && m.member_name() != cxx) return false;
  }
  for (const auto& p : o.properties) {
    if (p.name == cxx || (!p.readonly && "set_" + p.name == cxx)) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> proxy_method_names(const Object& o) {
  std::map<std::string, std::vector<const Method*>> by_cxx;
  for (const auto& m : o.methods) by_cxx[m.member_name()].push_back(&m);
  std::vector<std::string> names;
  for (const auto& m : o.methods) {
    const auto& set = by_cxx[m.member_name()];
    bool overloaded = set.size() > 1 && set_can_use_cxx_name(o, m.member_name(), set);
    names.push_back(overloaded ? m.member_name() : m.name);
  }
  return names;
}

}  // namespace roc::idl
