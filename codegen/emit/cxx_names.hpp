// How model slots are spelled in generated C++: value types, parameter declarations, qualified names.
#pragma once

#include "model/idl.hpp"

#include <string>

namespace roc::gen {
// The generator works on the IDL model (roc_idl) throughout.
using namespace ::roc::idl;
}  // namespace roc::gen

namespace roc::gen {

/// The C++ type of a slot: the header's own spelling when the model has it (`cxx`), else the
/// canonical mapping of the IDL type (see type_ref.hpp).
std::string value_type(const std::string& idl_type, const std::string& cxx, const Document& doc);

/// A parameter declaration `T name` or `const T& name`, by the IDL type's cost to copy.
std::string param_decl(const Param& p, const Document& doc);

/// The default of a proxy parameter as C++: `default_cxx`, else a literal derived from the JSON
/// default and the IDL type (bool, number, string, enumerator, `std::nullopt` for null, `{}` for
/// an empty array or object); empty when there is none or it cannot be derived.
std::string proxy_default(const Param& p, const Document& doc);

/// `::`-prefixed for use where a name could be shadowed inside a namespace.
std::string global_name(const std::string& qualified);

}  // namespace roc::gen

namespace roc::gen {
class Printer;
/// `namespace a::b {` (nothing for the global namespace), and its closing line.
void open_namespace(Printer& p, const std::string& ns);
void close_namespace(Printer& p, const std::string& ns);
}  // namespace roc::gen
