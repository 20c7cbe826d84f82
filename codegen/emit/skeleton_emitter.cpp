// Skeletons: roc::Skeleton<T> binds an object's methods and properties through the runtime's
// Binding API, so dispatch code lives in the runtime and generated code stays declarative.
#include "emit/cxx_names.hpp"
#include "emit/emitters.hpp"
#include "model/idl_json.hpp"

#include <fmt/format.h>

namespace roc::gen {
namespace {

// The IDL text as a raw string literal when it can be one (readable), else escaped.
std::string idl_literal(const std::string& json) {
  std::string text = json;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.find(")roc_idl\"") == std::string::npos) return fmt::format("R\"roc_idl({})roc_idl\"", text);
  return fmt::format("\"{}\"", cxx_string_literal(text));
}

// The Binding's parameter specs: `"name"`, or `{"name", "<JSON default>"}` for a parameter a call
// may leave out (the runtime decodes the default when it does).
std::string param_specs(const std::vector<Param>& params) {
  std::string out;
  for (const auto& p : params) {
    out += out.empty() ? "" : ", ";
    out += p.default_value.empty()
               ? fmt::format("\"{}\"", p.name)
               : fmt::format("{{\"{}\", \"{}\"}}", p.name, cxx_string_literal(p.default_value));
  }
  return out;
}

// `&::ns::Class::member`; members of annotated bases are named through the base class, and the
// runtime's Binding accepts pointers to members of a base of T.
std::string member_pointer(const Object& o, const std::string& declared_in, const std::string& member) {
  return fmt::format("&{}::{}", global_name(declared_in.empty() ? o.name : declared_in), member);
}

// An overloaded member's name alone does not say which overload: the cast to its pointer type does.
std::string method_pointer(const Object& o, const Method& m) {
  std::string ptr = member_pointer(o, m.declared_in, m.member_name());
  return m.pointer_type.empty() ? ptr : fmt::format("static_cast<{}>({})", m.pointer_type, ptr);
}

void skeleton(const Document& doc, const Object& o, Printer& p) {
  Printer::Vars vars{{"type", global_name(o.name)}, {"name", o.name}, {"doc", cxx_string_literal(o.doc)}};
  p.print("template <>\nstruct roc::Skeleton<$type$> {\n", vars);
  p.indent();
  p.print("/// The IDL document rpc.describe returns (roc-idl v1).\nstatic constexpr const char* idl = ");
  p.print_verbatim(idl_literal(write_idl(describe_document(doc, o.name))));
  p.print(";\n\n");
  p.print("static const ::roc::Binding<$type$>& binding() {\n", vars);
  p.indent();
  p.print("static const auto binding = ::roc::Binding<$type$>(\"$name$\", \"$doc$\")\n", vars);
  p.indent();
  p.indent();
  for (const auto& m : o.methods) {
    p.print(".method(\"$name$\", $ptr$, {$params$}, \"$doc$\")\n",
            {{"name", m.name},
             {"ptr", method_pointer(o, m)},
             {"params", param_specs(m.params)},
             {"doc", cxx_string_literal(m.doc)}});
  }
  for (const auto& prop : o.properties) {
    std::string access;
    if (!prop.member.empty()) {
      access = member_pointer(o, prop.declared_in, prop.member);
    } else {
      access = member_pointer(o, prop.declared_in, prop.getter);
      if (!prop.setter.empty()) access += ", " + member_pointer(o, prop.declared_in, prop.setter);
    }
    p.print(".property(\"$name$\", $access$, \"$doc$\")\n",
            {{"name", prop.name}, {"access", access}, {"doc", cxx_string_literal(prop.doc)}});
  }
  p.print(".signature(\"$sig$\")\n", {{"sig", o.signature}});
  p.print(".describe_as(idl);\n");
  p.outdent();
  p.outdent();
  p.print("return binding;\n");
  p.outdent();
  p.print("}\n");
  p.outdent();
  p.print("};\n");
}

}  // namespace

void emit_skeletons(const Document& doc, Printer& out) {
  for (std::size_t i = 0; i < doc.objects.size(); ++i) {
    if (i != 0) out.print("\n");
    skeleton(doc, doc.objects[i], out);
  }
}

}  // namespace roc::gen
