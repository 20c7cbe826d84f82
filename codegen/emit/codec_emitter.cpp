// Structs and enums: their definitions (IDL mode) and their JSON codecs.
#include "emit/cxx_names.hpp"
#include "emit/emitters.hpp"

#include <fmt/format.h>

namespace roc::gen {
namespace {

bool has_codec(const TypeDecl& t) { return t.kind != TypeKind::external && !t.generated_elsewhere; }

void struct_definition(const Document& doc, const TypeDecl& t, Printer& p) {
  print_doc(p, t.doc);
  p.print("struct $name$ {\n", {{"name", unqualified(t.name)}});
  p.indent();
  for (const auto& f : t.fields) {
    print_doc(p, f.doc);
    p.print("$type$ $name${};\n", {{"type", value_type(f.type, f.cxx, doc)}, {"name", f.name}});
  }
  p.outdent();
  p.print("};\n");
}

void enum_definition(const TypeDecl& t, Printer& p) {
  print_doc(p, t.doc);
  p.print("enum class $name$ {\n", {{"name", unqualified(t.name)}});
  p.indent();
  for (const auto& v : t.values) {
    print_doc(p, v.doc);
    p.print("$name$ = $value$,\n", {{"name", v.name}, {"value", std::to_string(v.value)}});
  }
  p.outdent();
  p.print("};\n");
}

void struct_codec(const TypeDecl& t, Printer& p) {
  Printer::Vars vars{{"type", unqualified(t.name)}, {"qualified", t.name}};
  p.print("inline void to_json(::roc::json::Value& out, const $type$& value, ::roc::json::Allocator& alloc) {\n", vars);
  p.indent();
  p.print("out.SetObject();\n");
  for (const auto& f : t.fields) {
    p.print("::roc::json::write_member(out, \"$name$\", value.$name$, alloc);\n", {{"name", f.name}});
  }
  if (t.fields.empty()) p.print("(void)value;\n(void)alloc;\n");
  p.outdent();
  p.print("}\n\n");
  p.print("inline void from_json(const ::roc::json::Value& in, $type$& value) {\n", vars);
  p.indent();
  p.print("::roc::json::require_object(in, \"$qualified$\");\n", vars);
  for (const auto& f : t.fields) {
    p.print("::roc::json::read_member(in, \"$name$\", value.$name$);\n", {{"name", f.name}});
  }
  if (t.fields.empty()) p.print("(void)value;\n");
  p.outdent();
  p.print("}\n");
}

// Enums travel as their enumerators' names through the runtime's EnumNames table, so the runtime
// owns the conversion and its error messages.
void enum_names(const TypeDecl& t, Printer& p) {
  p.print("template <>\nstruct roc::json::EnumNames<$t$> {\n", {{"t", global_name(t.name)}});
  p.indent();
  p.print("static constexpr std::array<std::pair<$t$, const char*>, $n$> values{{\n",
          {{"t", global_name(t.name)}, {"n", std::to_string(t.values.size())}});
  p.indent();
  for (const auto& v : t.values) {
    p.print("{$t$::$v$, \"$v$\"},\n", {{"t", global_name(t.name)}, {"v", v.name}});
  }
  p.outdent();
  p.print("}};\n");
  p.outdent();
  p.print("};\n");
}

}  // namespace

void emit_type_definitions(const Document& doc, Printer& out) {
  bool first = true;
  for (const auto& t : doc.types) {
    if (!has_codec(t)) continue;
    if (!first) out.print("\n");
    first = false;
    std::string ns = namespace_of(t.name);
    open_namespace(out, ns);
    if (t.kind == TypeKind::structure) struct_definition(doc, t, out);
    if (t.kind == TypeKind::enumeration) enum_definition(t, out);
    close_namespace(out, ns);
  }
}

void emit_codecs(const Document& doc, Printer& out) {
  bool first = true;
  for (const auto& t : doc.types) {
    if (!has_codec(t)) continue;
    if (!first) out.print("\n");
    first = false;
    if (t.kind == TypeKind::structure) {
      std::string ns = namespace_of(t.name);
      open_namespace(out, ns);
      struct_codec(t, out);
      close_namespace(out, ns);
      out.print("\n");
    } else {
      enum_names(t, out);
      out.print("\n");
    }
    out.print("template <>\nstruct roc::json::TypeName<$t$> {\n  static std::string get() { return \"$n$\"; }\n};\n",
              {{"t", global_name(t.name)}, {"n", t.name}});
  }
}

}  // namespace roc::gen
