// Recursive-descent parser for IDL type spellings, and their C++ mapping.
#include "model/type_ref.hpp"

#include "model/idl.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <utility>

namespace roc::idl {
namespace {

constexpr std::array<const char*, 12> scalar_names = {"bool",   "int8",   "int16",  "int32",
                                                      "int64",  "uint8",  "uint16", "uint32",
                                                      "uint64", "float",  "double", "string"};

struct Unit {
  const char* idl;
  const char* cxx;
};
constexpr std::array<Unit, 6> units = {{{"ns", "std::nano"},
                                        {"us", "std::micro"},
                                        {"ms", "std::milli"},
                                        {"s", "std::ratio<1>"},
                                        {"min", "std::ratio<60>"},
                                        {"h", "std::ratio<3600>"}}};

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  TypeRef parse_all() {
    TypeRef t = parse();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the type");
    return t;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw TypeError(fmt::format("invalid type '{}': {} (at offset {})", text_, what, pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!eat(c)) fail(fmt::format("expected '{}'", c));
  }

  std::string word() {
    skip_space();
    std::size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        ++pos_;
      } else if (c == ':' && pos_ + 1 < text_.size() && text_[pos_ + 1] == ':') {
        pos_ += 2;
      } else {
        break;
      }
    }
    if (start == pos_) fail("expected a type name");
    return text_.substr(start, pos_ - start);
  }

  std::vector<TypeRef> type_args() {
    std::vector<TypeRef> args;
    expect('<');
    do {
      args.push_back(parse());
    } while (eat(','));
    expect('>');
    return args;
  }

  TypeRef parse() {
    TypeRef t;
    std::string w = word();
    if (is_scalar_name(w)) {
      t.kind = TypeRef::Kind::scalar;
      t.name = w;
    } else if (w == "void") {
      t.kind = TypeRef::Kind::void_;
      t.name = w;
    } else if (w == "json") {
      t.kind = TypeRef::Kind::json;
      t.name = w;
    } else if (w == "bytes") {
      t.kind = TypeRef::Kind::bytes;
      t.name = w;
    } else if (w == "ndarray") {
      // Its bytes travel as they lie in memory (or as nested JSON arrays of numbers), so the element
      // is a fixed-size number: nothing else has a size and a byte order a reader could be told.
      t.kind = TypeRef::Kind::ndarray;
      t.args = type_args();
      if (t.args.size() != 1) fail("ndarray takes one type");
      if (t.args[0].kind != TypeRef::Kind::scalar || !is_numeric_scalar_name(t.args[0].name)) {
        fail(fmt::format("an ndarray's element must be a numeric scalar (int8..uint64, float, double), not '{}'",
                         t.args[0].str()));
      }
    } else if (w == "array") {
      expect('<');
      t.args.push_back(parse());
      if (eat(',')) {
        std::string n = word();
        if (n.find_first_not_of("0123456789") != std::string::npos) fail("array size must be a number");
        t.kind = TypeRef::Kind::fixed_array;
        t.size = std::stoull(n);
      } else {
        t.kind = TypeRef::Kind::array;
      }
      expect('>');
    } else if (w == "map" || w == "optional") {
      t.kind = w == "map" ? TypeRef::Kind::map : TypeRef::Kind::optional;
      t.args = type_args();
      if (t.args.size() != 1) fail(fmt::format("{} takes one type", w));
    } else if (w == "tuple") {
      t.kind = TypeRef::Kind::tuple;
      t.args = type_args();
    } else if (w == "duration") {
      t.kind = TypeRef::Kind::duration;
      expect('<');
      t.args.push_back(parse());
      if (t.args[0].kind != TypeRef::Kind::scalar || t.args[0].name == "string" ||
          t.args[0].name == "bool") {
        fail("a duration's representation must be an integer or floating-point type");
      }
      expect(',');
      t.unit = word();
      bool known = false;
      for (const auto& u : units) known = known || t.unit == u.idl;
      if (!known) fail("a duration's unit must be one of ns us ms s min h");
      expect('>');
    } else {
      t.kind = TypeRef::Kind::named;
      t.name = w;
    }
    for (const auto& a : t.args) {
      if (a.kind == TypeRef::Kind::void_) fail("void cannot be an element type");
    }
    return t;
  }

  const std::string& text_;
  std::size_t pos_ = 0;
};

std::string join_args(const std::vector<TypeRef>& args, std::string (*f)(const TypeRef&)) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ',';
    out += f(a);
  }
  return out;
}

std::string str_of(const TypeRef& t) { return t.str(); }

}  // namespace

bool is_scalar_name(const std::string& name) {
  for (const char* s : scalar_names) {
    if (name == s) return true;
  }
  return false;
}

bool is_idl_word(const std::string& name) {
  for (const char* w : {"void", "json", "bytes", "array", "map", "optional", "tuple", "duration", "ndarray"}) {
    if (name == w) return true;
  }
  return is_scalar_name(name);
}

bool is_numeric_scalar_name(const std::string& name) {
  return name != "bool" && name != "string" && is_scalar_name(name);
}

std::string TypeRef::str() const {
  switch (kind) {
    case Kind::scalar:
    case Kind::void_:
    case Kind::json:
    case Kind::bytes:
    case Kind::named: return name;
    case Kind::array: return fmt::format("array<{}>", args[0].str());
    case Kind::fixed_array: return fmt::format("array<{},{}>", args[0].str(), size);
    case Kind::map: return fmt::format("map<{}>", args[0].str());
    case Kind::optional: return fmt::format("optional<{}>", args[0].str());
    case Kind::tuple: return fmt::format("tuple<{}>", join_args(args, &str_of));
    case Kind::duration: return fmt::format("duration<{},{}>", args[0].str(), unit);
    case Kind::ndarray: return fmt::format("ndarray<{}>", args[0].str());
  }
  return name;
}

TypeRef parse_type(const std::string& spelling) { return Parser(spelling).parse_all(); }

void check_names(const TypeRef& t, const Document& doc) {
  if (t.kind == TypeRef::Kind::named && doc.find_type(t.name) == nullptr) {
    throw TypeError(fmt::format("type '{}' is not declared in the document's types", t.name));
  }
  for (const auto& a : t.args) check_names(a, doc);
}

std::string cxx_type(const TypeRef& t, const Document* doc) {
  switch (t.kind) {
    case TypeRef::Kind::scalar:
      if (t.name == "bool" || t.name == "float" || t.name == "double") return t.name;
      if (t.name == "string") return "std::string";
      return fmt::format("std::{}_t", t.name);
    case TypeRef::Kind::void_: return "void";
    case TypeRef::Kind::json: return "roc::json::Json";  // owns a copy of any JSON value
    case TypeRef::Kind::bytes: return "roc::Bytes";
    case TypeRef::Kind::ndarray: return fmt::format("roc::NdArray<{}>", cxx_type(t.args[0], doc));
    case TypeRef::Kind::named: {
      const TypeDecl* decl = doc != nullptr ? doc->find_type(t.name) : nullptr;
      return decl != nullptr && decl->kind == TypeKind::external ? "roc::Json" : t.name;
    }
    case TypeRef::Kind::array: return fmt::format("std::vector<{}>", cxx_type(t.args[0], doc));
    case TypeRef::Kind::fixed_array: return fmt::format("std::array<{}, {}>", cxx_type(t.args[0], doc), t.size);
    case TypeRef::Kind::map: return fmt::format("std::map<std::string, {}>", cxx_type(t.args[0], doc));
    case TypeRef::Kind::optional: return fmt::format("std::optional<{}>", cxx_type(t.args[0], doc));
    case TypeRef::Kind::tuple: {
      std::string out;
      for (const auto& a : t.args) out += (out.empty() ? "" : ", ") + cxx_type(a, doc);
      return fmt::format("std::tuple<{}>", out);
    }
    case TypeRef::Kind::duration:
      for (const auto& u : units) {
        if (t.unit == u.idl) return fmt::format("std::chrono::duration<{}, {}>", cxx_type(t.args[0], doc), u.cxx);
      }
      break;
  }
  return t.name;
}

bool pass_by_value(const TypeRef& t, const Document& doc) {
  switch (t.kind) {
    case TypeRef::Kind::scalar: return t.name != "string";
    case TypeRef::Kind::duration: return true;
    case TypeRef::Kind::named: {
      const TypeDecl* decl = doc.find_type(t.name);
      return decl != nullptr && decl->kind == TypeKind::enumeration;
    }
    default: return false;
  }
}

bool uses_binary_types(const TypeRef& t) {
  if (t.kind == TypeRef::Kind::bytes || t.kind == TypeRef::Kind::ndarray) return true;
  for (const auto& a : t.args) {
    if (uses_binary_types(a)) return true;
  }
  return false;
}

void collect_named_types(const TypeRef& t, const Document& doc, std::set<std::string>& named) {
  if (t.kind == TypeRef::Kind::named && named.insert(t.name).second) {
    if (const TypeDecl* decl = doc.find_type(t.name)) {
      for (const auto& f : decl->fields) collect_named_types(parse_type(f.type), doc, named);
    }
  }
  for (const auto& a : t.args) collect_named_types(a, doc, named);
}

}  // namespace roc::idl
