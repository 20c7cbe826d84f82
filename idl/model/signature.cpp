// Signature text and hash (see signature.hpp for what is covered and why).
#include "model/signature.hpp"

#include "model/idl.hpp"
#include "model/type_ref.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace roc::idl {

std::string signature_text(const Object& object, const Document& doc) {
  std::vector<std::string> lines;
  std::set<std::string> named;
  for (const auto& m : object.methods) {
    std::string params;
    for (const auto& p : m.params) {
      params += (params.empty() ? "" : ",") + (p.inout ? "inout " + p.name + ":" : "") + parse_type(p.type).str();
      collect_named_types(parse_type(p.type), doc, named);
    }
    collect_named_types(parse_type(m.returns), doc, named);
    lines.push_back(fmt::format("method {}({})->{}", m.name, params, parse_type(m.returns).str()));
  }
  for (const auto& p : object.properties) {
    collect_named_types(parse_type(p.type), doc, named);
    lines.push_back(fmt::format("property {}:{}{}", p.name, parse_type(p.type).str(),
                                p.readonly ? " readonly" : ""));
  }
  std::sort(lines.begin(), lines.end());
  std::string text = fmt::format("object {}\n", object.name);
  for (const auto& l : lines) text += l + '\n';
  for (const auto& name : named) {  // std::set: name order
    const TypeDecl* decl = doc.find_type(name);
    if (decl == nullptr) continue;
    switch (decl->kind) {
      case TypeKind::structure:
        text += fmt::format("struct {}{{", name);
        for (const auto& f : decl->fields) text += fmt::format("{}:{};", f.name, parse_type(f.type).str());
        text += "}\n";
        break;
      case TypeKind::enumeration:
        text += fmt::format("enum {}{{", name);
        for (const auto& v : decl->values) text += v.name + ';';
        text += "}\n";
        break;
      case TypeKind::external: text += fmt::format("external {}\n", name); break;
    }
  }
  return text;
}

std::string compute_signature(const Object& object, const Document& doc) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : signature_text(object, doc)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace roc::idl
