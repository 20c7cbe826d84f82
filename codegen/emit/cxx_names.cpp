// Spelling of model slots in generated C++ (see cxx_names.hpp).
#include "emit/cxx_names.hpp"

#include "emit/printer.hpp"
#include "model/type_ref.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>

namespace roc::gen {

std::string value_type(const std::string& idl_type, const std::string& cxx, const Document& doc) {
  return cxx.empty() ? cxx_type(parse_type(idl_type), &doc) : cxx;
}

std::string param_decl(const Param& p, const Document& doc) {
  std::string type = value_type(p.type, p.cxx, doc);
  return pass_by_value(parse_type(p.type), doc) ? fmt::format("{} {}", type, p.name)
                                                : fmt::format("const {}& {}", type, p.name);
}

namespace {

std::string number_default(const TypeRef& t, const rapidjson::Value& v, const std::string& text) {
  if (!v.IsNumber()) return {};
  if (t.name == "float" || t.name == "double") return text;
  if (!v.IsInt64() && !v.IsUint64()) return {};  // a fraction for an integer parameter
  return v.IsInt64() ? text : text + "u";         // beyond int64: an unsigned literal
}

std::string enum_default(const TypeDecl& e, const rapidjson::Value& v) {
  if (!v.IsString()) return {};
  for (const auto& value : e.values) {
    if (value.name == v.GetString()) return fmt::format("{}::{}", global_name(e.name), value.name);
  }
  return {};
}

// `v` (whose JSON text is `text`) as a C++ expression a parameter of IDL type `t` accepts.
std::string literal_for(const TypeRef& t, const rapidjson::Value& v, const std::string& text, const Document& doc) {
  switch (t.kind) {
    case TypeRef::Kind::scalar:
      if (t.name == "bool") return v.IsBool() ? (v.GetBool() ? "true" : "false") : "";
      if (t.name == "string") {
        return v.IsString() ? fmt::format("\"{}\"", cxx_string_literal({v.GetString(), v.GetStringLength()})) : "";
      }
      return number_default(t, v, text);
    case TypeRef::Kind::named: {
      const TypeDecl* decl = doc.find_type(t.name);
      if (decl != nullptr && decl->kind == TypeKind::enumeration) return enum_default(*decl, v);
      break;
    }
    case TypeRef::Kind::optional:
      return v.IsNull() ? "std::nullopt" : literal_for(t.args[0], v, text, doc);
    default: break;
  }
  bool empty = (v.IsArray() && v.Empty()) || (v.IsObject() && v.ObjectEmpty());
  return empty ? "{}" : "";
}

}  // namespace

std::string proxy_default(const Param& p, const Document& doc) {
  if (!p.default_cxx.empty() || p.default_value.empty()) return p.default_cxx;
  rapidjson::Document v;
  if (v.Parse(p.default_value.c_str(), p.default_value.size()).HasParseError()) return {};
  return literal_for(parse_type(p.type), v, p.default_value, doc);
}

std::string global_name(const std::string& qualified) { return "::" + qualified; }

}  // namespace roc::gen

namespace roc::gen {

void open_namespace(Printer& p, const std::string& ns) {
  if (!ns.empty()) p.print("namespace $ns$ {\n\n", {{"ns", ns}});
}

void close_namespace(Printer& p, const std::string& ns) {
  if (!ns.empty()) p.print("\n}  // namespace $ns$\n", {{"ns", ns}});
}

}  // namespace roc::gen
