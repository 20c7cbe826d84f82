// Proxies: one typed class per object, forwarding to the runtime's dynamic ObjectHandle, so the
// wire format is decided in one place and a proxy adds only types.
#include "emit/cxx_names.hpp"
#include "emit/emitters.hpp"
#include "model/type_ref.hpp"

#include <fmt/format.h>

namespace roc::gen {
namespace {

std::string param_list(const Method& m, const Document& doc) {
  std::string out;
  for (const auto& p : m.params) out += (out.empty() ? "" : ", ") + param_decl(p, doc);
  return out;
}

std::string arg_list(const Method& m) {
  std::string out;
  for (const auto& p : m.params) out += ", " + p.name;
  return out;
}

void methods(const Document& doc, const Object& o, Printer& p, bool async) {
  for (const auto& m : o.methods) {
    std::string ret = value_type(m.returns, m.returns_cxx, doc);
    Printer::Vars vars{{"ret", ret},
                       {"name", m.name},
                       {"params", param_list(m, doc)},
                       {"args", arg_list(m)}};
    p.print("\n");
    print_doc(p, m.doc);
    if (async) {
      p.print("std::future<$ret$> $name$($params$) const {\n"
              "  return handle_.call_async<$ret$>(\"$name$\"$args$);\n"
              "}\n",
              vars);
    } else {
      p.print("$ret$ $name$($params$) const {\n"
              "  $return$handle_.call<$ret$>(\"$name$\"$args$);\n"
              "}\n",
              [&] {
                vars["return"] = ret == "void" ? "" : "return ";
                return vars;
              }());
    }
  }
}

void properties(const Document& doc, const Object& o, Printer& p) {
  for (const auto& prop : o.properties) {
    std::string type = value_type(prop.type, prop.cxx, doc);
    bool by_value = pass_by_value(parse_type(prop.type), doc);
    Printer::Vars vars{{"type", type},
                       {"name", prop.name},
                       {"param", by_value ? type + " value" : "const " + type + "& value"}};
    p.print("\n");
    print_doc(p, prop.doc);
    p.print("$type$ $name$() const { return handle_.get<$type$>(\"$name$\"); }\n", vars);
    if (!prop.readonly) p.print("void set_$name$($param$) const { handle_.set(\"$name$\", value); }\n", vars);
  }
}

void proxy(const Document& doc, const Object& o, const EmitOptions& options, Printer& p) {
  std::string ns = namespace_of(o.name);
  std::string name = unqualified(o.name) + "Proxy";
  Printer::Vars vars{{"name", name}, {"object", o.name}, {"sig", o.signature}};
  open_namespace(p, ns);
  p.print("/// Typed client of a remote $object$ (roc-generated proxy).\n", vars);
  print_doc(p, o.doc);
  p.print("class $name$ {\n public:\n", vars);
  p.indent();
  p.print("/// Hash of the interface this proxy was generated from; checked once against the\n"
          "/// object's `rpc.signature` before the first call (roc::SignatureMismatch on mismatch).\n"
          "static constexpr const char* signature = \"$sig$\";\n\n"
          "explicit $name$(::roc::ObjectHandle handle) : handle_(std::move(handle)) {\n"
          "  handle_.expect_signature(signature);\n"
          "}\n\n"
          "/// The same proxy with another call timeout.\n"
          "$name$ with_timeout(std::chrono::milliseconds timeout) const {\n"
          "  return $name${handle_.with_timeout(timeout)};\n"
          "}\n\n"
          "/// The dynamic handle underneath, for calls by name.\n"
          "const ::roc::ObjectHandle& handle() const { return handle_; }\n\n"
          "/// The same calls, returning std::future instead of waiting.\n"
          "class Async {\n"
          " public:\n",
          vars);
  p.indent();
  p.print("explicit Async(::roc::ObjectHandle handle) : handle_(std::move(handle)) {}\n");
  methods(doc, o, p, true);
  p.print("\n");
  p.outdent();
  p.print(" private:\n  ::roc::ObjectHandle handle_;\n};\n\nAsync async() const { return Async{handle_}; }\n");
  methods(doc, o, p, false);
  properties(doc, o, p);
  p.outdent();
  p.print("\n private:\n  ::roc::ObjectHandle handle_;\n};\n");
  close_namespace(p, ns);
  if (!options.from_idl) {
    p.print("\ntemplate <>\nstruct roc::ProxyFor<$object$> {\n  using type = $proxy$;\n};\n",
            {{"object", global_name(o.name)}, {"proxy", global_name(ns.empty() ? name : ns + "::" + name)}});
  }
}

}  // namespace

void emit_proxies(const Document& doc, const EmitOptions& options, Printer& out) {
  for (std::size_t i = 0; i < doc.objects.size(); ++i) {
    if (i != 0) out.print("\n");
    proxy(doc, doc.objects[i], options, out);
  }
}

}  // namespace roc::gen
