// Proxies: one typed class per object, forwarding to the runtime's dynamic ObjectHandle, so the
// wire format is decided in one place and a proxy adds only types.
#include "emit/cxx_names.hpp"
#include "emit/emitters.hpp"
#include "model/type_ref.hpp"

#include <fmt/format.h>

namespace roc::gen {
namespace {

bool has_inout(const Method& m) {
  for (const auto& p : m.params) {
    if (p.inout) return true;
  }
  return false;
}

// `T& name` for an in/out parameter (the call writes the object's value back into it), else by
// the type's cost to copy. A default only where every later parameter has one too, as C++
// requires; never on an in/out parameter, which must name the caller's variable.
std::string param_list(const Method& m, const Document& doc) {
  std::vector<std::string> decls(m.params.size());
  bool later_have_defaults = true;
  for (std::size_t i = m.params.size(); i-- > 0;) {
    const Param& p = m.params[i];
    decls[i] = p.inout ? fmt::format("{}& {}", value_type(p.type, p.cxx, doc), p.name) : param_decl(p, doc);
    std::string def = later_have_defaults && !p.inout ? proxy_default(p, doc) : "";
    later_have_defaults = !def.empty();
    if (!def.empty()) decls[i] += " = " + def;
  }
  std::string out;
  for (const auto& d : decls) out += (out.empty() ? "" : ", ") + d;
  return out;
}

std::string arg_list(const Method& m) {
  std::string out;
  for (const auto& p : m.params) {
    out += ", " + (p.inout ? fmt::format("::roc::inout(\"{}\", {})", p.name, p.name) : p.name);
  }
  return out;
}

void sync_method(const Method& m, Printer::Vars vars, const std::string& proxy, Printer& p) {
  if (m.returns_self) {
    vars["self"] = proxy;
    p.print("const $self$& $member$($params$) const {\n"
            "  handle_.call<void>(\"$name$\"$args$);\n"
            "  return *this;\n"
            "}\n",
            vars);
    return;
  }
  vars["return"] = vars["ret"] == "void" ? "" : "return ";
  p.print("$ret$ $member$($params$) const {\n"
          "  $return$handle_.call<$ret$>(\"$name$\"$args$);\n"
          "}\n",
          vars);
}

// `start_<name>` for a long call (a method marked progress or cancellable): the call starts and
// the caller gets a PendingCall to follow its progress, cancel it, and get its result. Like
// async(), not for in/out parameters; builders neither: there is no proxy to return later.
void start_method(const Method& m, Printer::Vars vars, Printer& p) {
  if (!(m.progress || m.cancellable) || has_inout(m) || m.returns_self) return;
  // `options` unless a parameter has that name already.
  std::string options = "options";
  for (const auto& param : m.params) {
    if (param.name == options) options = "call_options";
  }
  vars["options"] = options;
  vars["sep"] = m.params.empty() ? "" : ", ";
  p.print("\n/// Starts $name$ and returns at once: follow its progress, cancel it, or wait for its result.\n"
          "::roc::PendingCall<$ret$> start_$member$($params$$sep$::roc::CallOptions $options$ = {}) const {\n"
          "  return handle_.start<$ret$>(\"$name$\", std::move($options$)$args$);\n"
          "}\n",
          vars);
}

// The methods under their proxy names (proxy_method_names: overload sets as on the device). The
// async view leaves out methods with in/out parameters: a future cannot write into the caller's
// variables after the call has returned.
void methods(const Document& doc, const Object& o, const std::string& proxy, Printer& p, bool async) {
  std::vector<std::string> members = proxy_method_names(o);
  for (std::size_t i = 0; i < o.methods.size(); ++i) {
    const Method& m = o.methods[i];
    if (async && has_inout(m)) continue;
    std::string ret = m.returns_self ? "void" : value_type(m.returns, m.returns_cxx, doc);
    Printer::Vars vars{{"ret", ret},
                       {"name", m.name},
                       {"member", members[i]},
                       {"params", param_list(m, doc)},
                       {"args", arg_list(m)}};
    p.print("\n");
    print_doc(p, m.doc);
    if (async) {
      p.print("std::future<$ret$> $member$($params$) const {\n"
              "  return handle_.call_async<$ret$>(\"$name$\"$args$);\n"
              "}\n",
              vars);
    } else {
      sync_method(m, vars, proxy, p);
      start_method(m, vars, p);
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
  methods(doc, o, name, p, true);
  p.print("\n");
  p.outdent();
  p.print(" private:\n  ::roc::ObjectHandle handle_;\n};\n\nAsync async() const { return Async{handle_}; }\n");
  methods(doc, o, name, p, false);
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
