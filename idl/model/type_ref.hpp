// IDL type spellings (`array<lab::Roi>`, `duration<int64,ms>`) parsed into a tree, validated,
// and mapped to C++ types.
#pragma once

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace roc::idl {

struct Document;

/// A parsed IDL type. Scalars, `void`, `json`, `bytes` and named types are leaves; `array`, `map`,
/// `optional`, `tuple`, `duration` and `ndarray` carry their arguments. `array<T,N>` has `size` N.
struct TypeRef {
  enum class Kind { scalar, void_, json, bytes, array, fixed_array, map, optional, tuple, duration, ndarray, named };
  Kind kind = Kind::scalar;
  std::string name;            ///< scalar name (int32, string, ...), or qualified name for named
  std::vector<TypeRef> args;   ///< element types; for duration, args[0] is the rep; for ndarray, the element (a
                               ///< numeric scalar)
  unsigned long long size = 0; ///< fixed_array only
  std::string unit;            ///< duration only: ns us ms s min h

  /// The canonical spelling (what `parse` accepts; no spaces).
  std::string str() const;
};

class TypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses an IDL type spelling. Throws TypeError saying what is wrong. Does not check that named
/// types exist (see `check_names`).
TypeRef parse_type(const std::string& spelling);

/// Throws TypeError when `t` names a type `doc` does not declare.
void check_names(const TypeRef& t, const Document& doc);

/// Adds to `named` the named types `t` reaches: its own, its arguments', and (for structs `doc`
/// declares) their fields', transitively. Without a declaration a name is a leaf.
void collect_named_types(const TypeRef& t, const Document& doc, std::set<std::string>& named);

/// True for the scalar names of the IDL (bool, int8..uint64, float, double, string).
bool is_scalar_name(const std::string& name);

/// True for the words the IDL spells its own types with (scalars, void, json, bytes, array, map,
/// optional, tuple, duration, ndarray): no declared type may be named so.
bool is_idl_word(const std::string& name);

/// True for the numeric scalar names (int8..uint64, float, double): the elements an `ndarray` and an
/// attachment can carry.
bool is_numeric_scalar_name(const std::string& name);

/// The C++ type for `t`, from the IDL alone: std::vector, std::map<std::string,...>, std::tuple,
/// std::chrono::duration, std::int32_t, roc::Bytes, roc::NdArray<T>, ... Named types are written
/// fully qualified, except that external types of `doc` (whose C++ definition the IDL does not
/// carry) become roc::Json.
std::string cxx_type(const TypeRef& t, const Document* doc = nullptr);

/// True when values of `t` are cheap to copy and best passed by value (arithmetic types, enums,
/// durations); false when passed by const reference (strings, containers, bytes, ndarrays, structs).
bool pass_by_value(const TypeRef& t, const Document& doc);

/// True when `t` is or contains `bytes` or an `ndarray` (whose C++ types live in roc/attachment.hpp).
/// Named types are not looked into.
bool uses_binary_types(const TypeRef& t);

}  // namespace roc::idl
