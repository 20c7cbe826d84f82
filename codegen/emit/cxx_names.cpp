// Spelling of model slots in generated C++ (see cxx_names.hpp).
#include "emit/cxx_names.hpp"

#include "model/type_ref.hpp"

#include <fmt/format.h>

namespace roc::gen {

std::string value_type(const std::string& idl_type, const std::string& cxx, const Document& doc) {
  return cxx.empty() ? cxx_type(parse_type(idl_type), &doc) : cxx;
}

std::string param_decl(const Param& p, const Document& doc) {
  std::string type = value_type(p.type, p.cxx, doc);
  return pass_by_value(parse_type(p.type), doc) ? fmt::format("{} {}", type, p.name)
                                                : fmt::format("const {}& {}", type, p.name);
}

std::string global_name(const std::string& qualified) { return "::" + qualified; }

}  // namespace roc::gen

#include "emit/printer.hpp"

namespace roc::gen {

void open_namespace(Printer& p, const std::string& ns) {
  if (!ns.empty()) p.print("namespace $ns$ {\n\n", {{"ns", ns}});
}

void close_namespace(Printer& p, const std::string& ns) {
  if (!ns.empty()) p.print("\n}  // namespace $ns$\n", {{"ns", ns}});
}

}  // namespace roc::gen
