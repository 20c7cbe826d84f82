// The IDL model: plain data describing remote objects and the types they use (idl/README.md).
// The scanner fills it, the emitters read it, idl_json converts it from and to the IDL JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace roc::idl {

/// Where a declaration is in its header; line 0 means unknown (e.g. read from IDL without locations).
struct Location {
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
};

/// `type` is an IDL type spelling (see type_ref.hpp); `cxx` the header's C++ spelling when known.
struct Param {
  std::string name;
  std::string type;
  std::string cxx;
  /// Passed by non-const reference: the value travels to the object and back (idl/README.md).
  bool inout = false;
  /// JSON text of the value a call that leaves this parameter out gets; empty when it has none.
  std::string default_value;
  /// The default as a C++ expression valid at namespace scope (`true`, `::lab::Mode::fast`, `{}`),
  /// for the proxy's parameter list; empty: derived from `default_value`, or none.
  std::string default_cxx;
};

struct Method {
  std::string name;         ///< wire name
  std::string cxx_name;     ///< C++ member function name; empty when it equals `name`
  std::string declared_in;  ///< class that declares it when inherited from a base; else empty
  std::vector<Param> params;
  std::string returns = "void";
  std::string returns_cxx;
  bool is_const = false;
  /// The C++ method returns the object itself (a builder's `Device& set_x(...)`): the wire result
  /// is null and the proxy returns itself, so chained calls read as they do on the device.
  bool returns_self = false;
  /// The method takes a roc::CallContext: it may send progress events, and it can be told that
  /// its caller cancelled while it runs (idl/README.md). Not part of the signature: neither
  /// changes how a call is encoded.
  bool progress = false;
  bool cancellable = false;
  std::string doc;
  Location location;
  /// The member function pointer type that picks this method out of a C++ overload set
  /// (`bool (::lab::Dev::*)(std::string&) const`); empty when the name is not overloaded.
  /// The scanner fills it for the skeleton; it is not part of the IDL.
  std::string pointer_type;

  const std::string& member_name() const { return cxx_name.empty() ? name : cxx_name; }
};

/// A property is backed either by a data member (`member`) or by a getter and an optional setter.
struct Property {
  std::string name;  ///< wire name
  std::string type;
  std::string cxx;
  bool readonly = false;
  std::string member;
  std::string getter;
  std::string setter;
  std::string declared_in;
  std::string doc;
  Location location;
};

struct Object {
  std::string name;       ///< fully qualified, e.g. lab::VnirCamera
  std::string signature;  ///< 16 hex digits, see signature.hpp
  std::string doc;
  std::vector<std::string> bases;  ///< annotated bases whose members were folded in
  std::vector<Method> methods;
  std::vector<Property> properties;
  Location location;
};

struct Field {
  std::string name;
  std::string type;
  std::string cxx;
  std::string doc;
};

struct Enumerator {
  std::string name;
  std::int64_t value = 0;
  std::string doc;
};

enum class TypeKind { structure, enumeration, external };

/// A named type used by objects: an annotated struct or enum, or an external type with its own
/// to_json/from_json (opaque to the IDL).
struct TypeDecl {
  TypeKind kind = TypeKind::structure;
  std::string name;  ///< fully qualified
  std::string doc;
  std::vector<Field> fields;        ///< struct
  std::vector<Enumerator> values;   ///< enum
  bool generated_elsewhere = false; ///< declared in another header; no codec emitted here
  Location location;
};

/// One IDL document: what a header declares, or what one object's rpc.describe returns.
struct Document {
  static constexpr int version = 1;
  std::string source;
  std::vector<Object> objects;
  std::vector<TypeDecl> types;

  /// The type named `name`, or nullptr.
  const TypeDecl* find_type(const std::string& name) const;
};

/// Short name of a qualified name: `lab::VnirCamera` → `VnirCamera`.
std::string unqualified(const std::string& qualified);
/// Namespace part of a qualified name: `lab::cams::Vnir` → `lab::cams`; empty when global.
std::string namespace_of(const std::string& qualified);

/// True for the names every generated proxy has for itself (`handle`, `async`, `signature`, ...,
/// see proxy_emitter.cpp): no method or property may take them as wire names.
bool is_proxy_member(const std::string& name);

/// The name of each of `o.methods` (same order) in its generated proxy: the wire name, except that
/// methods sharing one C++ name form an overload set under that name, as on the device. A set
/// keeps wire names when two of its methods would take the same parameter types (the proxy could
/// not tell them apart), or when its C++ name is another method's wire name, a property accessor
/// (`speed`, `set_speed`) or a member of every proxy (`handle`, `async`, ...). Wire names are unique
/// and clash with no accessor (check_document), so the names returned never collide.
std::vector<std::string> proxy_method_names(const Object& o);

}  // namespace roc::idl
