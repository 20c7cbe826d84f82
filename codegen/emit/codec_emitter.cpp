// Structs and enums: their definitions (IDL mode) and their JSON codecs.
#include "emit/cxx_names.hpp"
#include "emit/emitters.hpp"

#include "model/type_ref.hpp"

#include <fmt/format.h>

#include <set>

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

// The named types this file's code touches: through its objects, and through the codecs it emits.
std::set<std::string> used_types(const Document& doc) {
  std::set<std::string> used;
  auto visit = [&](const std::string& spelling) { collect_named_types(parse_type(spelling), doc, used); };
  for (const auto& o : doc.objects) {
    for (const auto& m : o.methods) {
      for (const auto& p : m.params) visit(p.type);
      visit(m.returns);
    }
    for (const auto& p : o.properties) visit(p.type);
  }
  for (const auto& t : doc.types) {
    if (t.kind != TypeKind::structure || !has_codec(t)) continue;
    for (const auto& f : t.fields) visit(f.type);
  }
  return used;
}

// `dir/mode.hpp` → `mode.hpp`: generated files name headers without the build machine's paths.
std::string file_name(const std::string& path) {
  auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// What to include for `e`'s EnumNames: the `.roc.hpp` roc_generate makes from its header.
std::string enum_advice(const TypeDecl& e) {
  std::string header = file_name(e.location.file);
  if (header.empty()) return "include the .roc.hpp generated from its header";
  auto dot = header.rfind('.');
  std::string stem = dot == std::string::npos || dot == 0 ? header : header.substr(0, dot);
  return fmt::format("include {}.roc.hpp (generated from {})", stem, header);
}

}  // namespace

void emit_enum_checks(const Document& doc, Printer& out) {
  std::set<std::string> used = used_types(doc);
  for (const auto& t : doc.types) {
    if (t.kind != TypeKind::enumeration || used.count(t.name) == 0) continue;
    out.print("static_assert(::roc::json::has_enum_names_v<$t$>,\n"
              "              \"$name$ is a ROC_ENUM: $advice$ before this file, or it would travel as an integer\");\n",
              {{"t", global_name(t.name)}, {"name", t.name}, {"advice", cxx_string_literal(enum_advice(t))}});
  }
}

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
