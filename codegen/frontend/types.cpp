// C++ types → IDL types, the named types (structs, enums, external types) they use, and default
// arguments → JSON and C++ literals. Reports unsupported types at the slot that uses them, with
// advice that can be followed.
#include "frontend/extractor.hpp"

#include "emit/printer.hpp"
#include "model/type_ref.hpp"

#include <clang/AST/Attr.h>
#include <clang/AST/DeclFriend.h>
#include <clang/AST/DeclTemplate.h>
#include <clang/AST/Expr.h>
#include <clang/AST/ExprCXX.h>
#include <clang/AST/QualTypeNames.h>
#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <map>
#include <regex>

namespace roc::gen::detail {

std::optional<std::string> annotation(const clang::Decl* d, llvm::StringRef tag) {
  for (const auto* attr : d->specific_attrs<clang::AnnotateAttr>()) {
    llvm::StringRef text = attr->getAnnotation();
    if (text == tag) return std::string{};
    if (text.startswith(tag) && text.size() > tag.size() && text[tag.size()] == '=') {
      return text.substr(tag.size() + 1).str();
    }
  }
  return std::nullopt;
}

namespace {

/// The qualified name of a std template ("std::vector"), with libstdc++'s inline namespaces removed.
std::string template_name(const clang::ClassTemplateSpecializationDecl* s) {
  std::string name = s->getSpecializedTemplate()->getQualifiedNameAsString();
  for (const char* inline_ns : {"__cxx11::", "__1::", "__debug::"}) {
    auto pos = name.find(inline_ns);
    if (pos != std::string::npos) name.erase(pos, std::string(inline_ns).size());
  }
  return name;
}

bool is_c_string(clang::QualType t) {
  const auto* p = t.getCanonicalType()->getAs<clang::PointerType>();
  if (p == nullptr) return false;
  clang::QualType pointee = p->getPointeeType();
  return pointee.isConstQualified() && !pointee.isVolatileQualified() &&
         (pointee->isSpecificBuiltinType(clang::BuiltinType::Char_S) ||
          pointee->isSpecificBuiltinType(clang::BuiltinType::Char_U));
}

/// `s` as a JSON string.
std::string json_quote(llvm::StringRef s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

/// `s` as a C++ string literal.
std::string cxx_quote(llvm::StringRef s) { return "\"" + cxx_string_literal({s.data(), s.size()}) + "\""; }

/// Looks through what the compiler wraps around a default argument as written: conversions,
/// temporaries, parentheses, functional casts and elided copies.
const clang::Expr* strip(const clang::Expr* e) {
  while (e != nullptr) {
    const clang::Expr* next = e->IgnoreImplicit()->IgnoreParens();
    if (const auto* c = llvm::dyn_cast<clang::CXXFunctionalCastExpr>(next)) {
      next = c->getSubExpr();
    } else if (const auto* d = llvm::dyn_cast<clang::CXXDefaultArgExpr>(next)) {
      next = d->getExpr();
    } else if (const auto* k = llvm::dyn_cast<clang::CXXConstructExpr>(next);
               k != nullptr && k->getNumArgs() == 1 && k->getConstructor()->isCopyOrMoveConstructor()) {
      next = k->getArg(0);
    }
    if (next == e) return e;
    e = next;
  }
  return e;
}

/// `{}`, `T()`, `T{}`: value-initialization (constructor arguments left to their defaults count).
bool value_init(const clang::Expr* e) {
  e = strip(e);
  if (llvm::isa<clang::CXXScalarValueInitExpr>(e) || llvm::isa<clang::ImplicitValueInitExpr>(e)) return true;
  if (const auto* l = llvm::dyn_cast<clang::InitListExpr>(e)) {
    // The semantic form of an aggregate's `{}` lists each member's implicit initializer: read the written one.
    const clang::InitListExpr* written = l->isSemanticForm() && l->getSyntacticForm() != nullptr ? l->getSyntacticForm() : l;
    return written->getNumInits() == 0;
  }
  if (const auto* c = llvm::dyn_cast<clang::CXXConstructExpr>(e)) {
    for (const clang::Expr* a : c->arguments()) {
      if (!llvm::isa<clang::CXXDefaultArgExpr>(a)) return false;
    }
    return true;
  }
  return false;
}

/// The narrow string literal `e` spells, through std::string's converting constructor.
std::optional<std::string> string_literal(const clang::Expr* e) {
  e = strip(e);
  if (const auto* s = llvm::dyn_cast<clang::StringLiteral>(e)) {
    if (s->isAscii() || s->isUTF8()) return s->getString().str();
    return std::nullopt;
  }
  if (const auto* c = llvm::dyn_cast<clang::CXXConstructExpr>(e); c != nullptr && c->getNumArgs() >= 1) {
    for (unsigned i = 1; i < c->getNumArgs(); ++i) {
      if (!llvm::isa<clang::CXXDefaultArgExpr>(c->getArg(i))) return std::nullopt;
    }
    return string_literal(c->getArg(0));
  }
  return std::nullopt;
}

/// A floating-point value printed so that it reads back to the same value, and as a literal of
/// a floating type (`1.0`, not `1`).
std::string float_text(double v, bool as_float) {
  std::string s = as_float ? fmt::format("{}", static_cast<float>(v)) : fmt::format("{}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string Extractor::cxx_spelling(clang::QualType t, bool global_prefix) const {
  clang::PrintingPolicy policy(ctx_.getLangOpts());
  policy.SuppressScope = false;
  policy.AnonymousTagLocations = false;
  policy.SuppressUnwrittenScope = true;
  policy.FullyQualifiedName = true;
  std::string text = clang::TypeName::getFullyQualifiedName(t, ctx_, policy, global_prefix);
  // <cstdint>'s std::uint16_t is a using-declaration of ::uint16_t, so Clang prints the global
  // name; generated code spells the std:: one, which <cstdint> guarantees.
  static const std::regex c_names("(^|[^:A-Za-z0-9_])(u?int(8|16|32|64)_t|size_t|ptrdiff_t)\\b");
  return std::regex_replace(text, c_names, "$1std::$2");
}

std::string Extractor::written(clang::QualType t) const {
  clang::PrintingPolicy policy(ctx_.getLangOpts());
  policy.SuppressTagKeyword = true;
  return t.getAsString(policy);
}

std::string Extractor::type_name(const clang::TagDecl* d) const {
  if (d->getDeclName().isEmpty()) {
    // `typedef enum { a, b } name_t;`: the C idiom names the type through the typedef.
    if (const clang::TypedefNameDecl* td = d->getTypedefNameForAnonDecl()) return td->getQualifiedNameAsString();
    return {};
  }
  return d->getQualifiedNameAsString();
}

std::optional<Mapped> Extractor::map_value(clang::QualType t, clang::SourceLocation where, const std::string& what,
                                           Slot slot) {
  t = t.getNonReferenceType();
  // `const char*` text travels as a string; the runtime converts at the call (parameters and results only).
  if (slot != Slot::value && is_c_string(t)) return Mapped{"string", "std::string"};
  t = t.getUnqualifiedType();
  std::optional<std::string> idl = map_idl(t, where, what);
  if (!idl) return std::nullopt;
  return Mapped{*idl, cxx_spelling(t)};
}

std::optional<std::string> Extractor::map_idl(clang::QualType type, clang::SourceLocation where,
                                              const std::string& what) {
  clang::QualType t = type.getCanonicalType().getUnqualifiedType();
  auto unsupported = [&](const std::string& why) -> std::optional<std::string> {
    error(where, fmt::format("{} has type '{}', which {}", what, written(type), why));
    return std::nullopt;
  };
  if (t->isDependentType()) {
    return unsupported("depends on a template parameter; roc exports concrete signatures");
  }
  if (is_c_string(t)) {
    return unsupported("is a raw pointer: only a parameter or result can be 'const char*' text; use std::string here");
  }
  if (t->isPointerType() || t->isMemberPointerType()) {
    const auto* p = t->getAs<clang::PointerType>();
    if (p != nullptr && p->getPointeeType()->isCharType()) {
      return unsupported("is a raw pointer: roc sends values; for text take 'const char*' or std::string");
    }
    return unsupported("is a raw pointer: roc sends values, pass it by value or by reference");
  }
  if (t->isReferenceType()) return unsupported("is a reference to a reference");
  if (t->isArrayType()) return unsupported("is a C array; use std::array or std::vector");
  if (const auto* b = t->getAs<clang::BuiltinType>()) {
    if (b->getKind() == clang::BuiltinType::Void) return std::string("void");
    if (b->getKind() == clang::BuiltinType::Bool) return std::string("bool");
    if (b->getKind() == clang::BuiltinType::Float) return std::string("float");
    if (b->getKind() == clang::BuiltinType::Double) return std::string("double");
    if (b->isInteger() && !t->isWideCharType() && !t->isChar16Type() && !t->isChar32Type() && !t->isChar8Type()) {
      std::uint64_t bits = ctx_.getTypeSize(t);  // a builtin type: always complete
      if (bits == 8 || bits == 16 || bits == 32 || bits == 64) {
        return fmt::format("{}int{}", b->isSignedInteger() ? "" : "u", bits);
      }
    }
    return unsupported("has no JSON mapping in roc");
  }
  if (const auto* e = t->getAs<clang::EnumType>()) {
    clang::EnumDecl* d = e->getDecl();
    if (!annotation(d, enum_tag)) {
      if (d->isInStdNamespace() || sm_.isInSystemHeader(d->getLocation())) {
        return unsupported("is a standard-library enum; take an integer type, or convert to an enum of your own "
                           "marked ROC_ENUM");
      }
      std::string name = type_name(d);
      if (name.empty()) {
        return unsupported("is an anonymous enum; name it (or typedef it) and mark it ROC_ENUM, or take an integer type");
      }
      return unsupported(fmt::format("is an enum without ROC_ENUM: annotate '{}' so it travels as its names", name));
    }
    if (!named_type(t, d)) return std::nullopt;
    return type_name(d);
  }
  if (const auto* r = t->getAsCXXRecordDecl()) return map_record(t, r, where, what, type);
  return unsupported("has no JSON mapping in roc");
}

std::optional<std::string> Extractor::map_record(clang::QualType t, const clang::CXXRecordDecl* r,
                                                 clang::SourceLocation where, const std::string& what,
                                                 clang::QualType written) {
  auto unsupported = [&](const std::string& why) -> std::optional<std::string> {
    error(where, fmt::format("{} has type '{}', which {}", what, this->written(written), why));
    return std::nullopt;
  };
  if (const auto* s = llvm::dyn_cast<clang::ClassTemplateSpecializationDecl>(r)) {
    std::string name = template_name(s);
    // The arguments of a specialization exist even when it was never instantiated; their kinds
    // are still checked, so an unexpected specialization is an error, not a bad access.
    const clang::TemplateArgumentList& args = s->getTemplateArgs();
    auto type_arg = [&](unsigned i) -> std::optional<clang::QualType> {
      if (i >= args.size() || args[i].getKind() != clang::TemplateArgument::Type) return std::nullopt;
      return args[i].getAsType();
    };
    auto integral_arg = [&](unsigned i) -> std::optional<llvm::APSInt> {
      if (i >= args.size() || args[i].getKind() != clang::TemplateArgument::Integral) return std::nullopt;
      return args[i].getAsIntegral();
    };
    auto element = [&](unsigned i, const char* role) -> std::optional<std::string> {
      auto a = type_arg(i);
      if (!a) return unsupported("has template arguments roc cannot read");
      return map_idl(*a, where, fmt::format("{} of {}", role, what));
    };
    if (name == "std::basic_string") {
      auto c = type_arg(0);
      if (c && ((*c)->isSpecificBuiltinType(clang::BuiltinType::Char_S) ||
                (*c)->isSpecificBuiltinType(clang::BuiltinType::Char_U))) {
        return std::string("string");
      }
      return unsupported("is a string of wide characters; roc sends std::string (UTF-8)");
    }
    if (name == "std::vector") {
      auto e = element(0, "an element");
      if (!e) return std::nullopt;
      return fmt::format("array<{}>", *e);
    }
    if (name == "std::array") {
      auto e = element(0, "an element");
      if (!e) return std::nullopt;
      auto n = integral_arg(1);
      if (!n) return unsupported("has template arguments roc cannot read");
      return fmt::format("array<{},{}>", *e, n->getZExtValue());
    }
    if (name == "std::map" || name == "std::unordered_map") {
      auto k = type_arg(0);
      if (!k) return unsupported("has template arguments roc cannot read");
      clang::QualType key = (*k).getCanonicalType();
      const auto* ks = llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(key->getAsCXXRecordDecl());
      if (ks == nullptr || template_name(ks) != "std::basic_string") {
        return unsupported("is a map whose keys are not std::string (JSON object keys are strings)");
      }
      auto v = element(1, "a value");
      if (!v) return std::nullopt;
      return fmt::format("map<{}>", *v);
    }
    if (name == "std::optional") {
      auto e = element(0, "the value");
      if (!e) return std::nullopt;
      return fmt::format("optional<{}>", *e);
    }
    if (name == "std::pair" || name == "std::tuple") {
      std::vector<clang::QualType> elements;
      if (name == "std::pair") {
        auto a = type_arg(0), b = type_arg(1);
        if (!a || !b) return unsupported("has template arguments roc cannot read");
        elements = {*a, *b};
      } else if (args.size() == 1 && args[0].getKind() == clang::TemplateArgument::Pack) {
        for (const auto& a : args[0].pack_elements()) {
          if (a.getKind() != clang::TemplateArgument::Type) return unsupported("has template arguments roc cannot read");
          elements.push_back(a.getAsType());
        }
      }
      if (elements.empty()) return unsupported("is an empty tuple");
      std::string out = "tuple<";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        auto e = map_idl(elements[i], where, fmt::format("element {} of {}", i, what));
        if (!e) return std::nullopt;
        out += (i == 0 ? "" : ",") + *e;
      }
      return out + ">";
    }
    if (name == "std::chrono::duration") {
      auto rep = element(0, "the count");
      if (!rep) return std::nullopt;
      auto period = type_arg(1);
      const auto* rs = period ? llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(
                                    (*period)->getAsCXXRecordDecl())
                              : nullptr;
      if (rs == nullptr || rs->getTemplateArgs().size() < 2 ||
          rs->getTemplateArgs()[0].getKind() != clang::TemplateArgument::Integral ||
          rs->getTemplateArgs()[1].getKind() != clang::TemplateArgument::Integral) {
        return unsupported("is a duration with an unknown period");
      }
      std::int64_t num = rs->getTemplateArgs()[0].getAsIntegral().getExtValue();
      std::int64_t den = rs->getTemplateArgs()[1].getAsIntegral().getExtValue();
      static const std::map<std::pair<std::int64_t, std::int64_t>, const char*> units = {
          {{1, 1000000000}, "ns"}, {{1, 1000000}, "us"}, {{1, 1000}, "ms"},
          {{1, 1}, "s"},           {{60, 1}, "min"},     {{3600, 1}, "h"}};
      auto u = units.find({num, den});
      if (u == units.end()) return unsupported("is a duration whose unit is not one of ns us ms s min h");
      return fmt::format("duration<{},{}>", *rep, u->second);
    }
    if (name == "roc::NdArray") {
      // Checked before mapping the element, so that NdArray<Roi> is this error and does not also
      // register Roi as a type of the document.
      const char* not_a_number =
          "is an NdArray of a type that is not a number: its element must be one of std::int8_t .. std::uint64_t, "
          "float or double";
      auto e = type_arg(0);
      if (!e) return unsupported("has template arguments roc cannot read");
      const auto* b = (*e).getCanonicalType()->getAs<clang::BuiltinType>();
      bool number = b != nullptr && b->getKind() != clang::BuiltinType::Bool &&
                    (b->isInteger() || b->getKind() == clang::BuiltinType::Float ||
                     b->getKind() == clang::BuiltinType::Double);
      if (!number) return unsupported(not_a_number);
      auto idl = map_idl(*e, where, fmt::format("the element of {}", what));
      if (!idl) return std::nullopt;
      if (!idl::is_numeric_scalar_name(*idl)) return unsupported(not_a_number);
      return fmt::format("ndarray<{}>", *idl);
    }
    if (s->isInStdNamespace() || name.rfind("std::", 0) == 0) {
      return unsupported("has no JSON mapping in roc (see docs/codegen.md for the supported types)");
    }
  }
  std::string qualified = type_name(r);
  if (qualified == "roc::json::Json") return std::string("json");
  if (qualified == "roc::Bytes") return std::string("bytes");
  if (r->isInStdNamespace() || qualified.rfind("std::", 0) == 0) {
    return unsupported("has no JSON mapping in roc (see docs/codegen.md for the supported types)");
  }
  if (annotation(r, struct_tag)) {
    if (!named_type(t, r)) return std::nullopt;
    return qualified;
  }
  // A forward-declared (pimpl) class, or a template specialization nothing instantiated yet:
  // there is nothing to look into, and a value of it cannot be sent.
  if (!r->hasDefinition()) {
    if (llvm::isa<clang::ClassTemplateSpecializationDecl>(r)) {
      return unsupported("is a template specialization that is not instantiated in this header, so roc cannot "
                         "see how it travels; take or return a type roc can send (see docs/codegen.md)");
    }
    return unsupported(fmt::format("is incomplete here (declared, never defined); roc sends values: define '{}' "
                                   "with ROC_STRUCT, or take or return a type roc can send",
                                   qualified));
  }
  if (has_adl_to_json(r->getDefinition())) {
    if (!named_type(t, r)) return std::nullopt;
    return qualified;
  }
  return unsupported(fmt::format("has no JSON mapping: annotate '{}' with ROC_STRUCT, or give it "
                                 "to_json/from_json found by ADL",
                                 qualified));
}

bool Extractor::has_adl_to_json(const clang::CXXRecordDecl* r) const {
  clang::QualType self = ctx_.getRecordType(r).getCanonicalType();
  auto takes_self = [&](const clang::NamedDecl* nd) {
    const auto* f = llvm::dyn_cast_or_null<clang::FunctionDecl>(nd);
    return f != nullptr && f->getNumParams() >= 2 &&
           f->getParamDecl(1)->getType().getNonReferenceType().getCanonicalType().getUnqualifiedType() == self;
  };
  clang::DeclarationName name(&ctx_.Idents.get("to_json"));
  for (const clang::NamedDecl* nd : r->getEnclosingNamespaceContext()->lookup(name)) {
    if (takes_self(nd)) return true;
  }
  for (const clang::FriendDecl* f : r->friends()) {
    if (takes_self(f->getFriendDecl())) return true;
  }
  return false;
}

// ---- named types (structs, enums, external) ----

bool Extractor::named_type(clang::QualType, const clang::TagDecl* d) {
  std::string name = type_name(d);
  if (done_.count(name) != 0) return true;
  if (in_progress_.count(name) != 0) {
    error(d, fmt::format("'{}' contains itself; roc sends trees of values, not graphs", name));
    return false;
  }
  if (failed_.count(name) != 0) return false;
  in_progress_.insert(name);
  bool ok = register_type(d, name);
  in_progress_.erase(name);
  (ok ? done_ : failed_).insert(name);
  return ok;
}

bool Extractor::register_type(const clang::TagDecl* d, const std::string& name) {
  if (name.empty()) {
    error(d, "an anonymous struct or enum cannot be annotated; give it a name (or a typedef name)");
    return false;
  }
  TypeDecl decl;
  decl.name = name;
  decl.doc = doc(d);
  decl.location = location(d->getLocation());
  decl.generated_elsewhere = !in_target(d);
  if (const auto* e = llvm::dyn_cast<clang::EnumDecl>(d)) {
    // Enums nested in a class are fine: their EnumNames/TypeName are specializations, found without ADL.
    decl.kind = TypeKind::enumeration;
    const clang::EnumDecl* def = e->getDefinition();
    if (def != nullptr) {
      for (const clang::EnumConstantDecl* c : def->enumerators()) {
        decl.values.push_back(Enumerator{c->getNameAsString(), c->getInitVal().getExtValue(), doc(c)});
      }
    }
    if (decl.values.empty()) {
      error(d, fmt::format("enum '{}' has no enumerators", name));
      return false;
    }
  } else {
    const auto* r = llvm::cast<clang::CXXRecordDecl>(d);
    if (!annotation(r, struct_tag)) {
      decl.kind = TypeKind::external;
    } else {
      decl.kind = TypeKind::structure;
      if (!d->getDeclContext()->getRedeclContext()->isFileContext()) {
        error(d, fmt::format("ROC_STRUCT '{}' is nested in a class; its to_json/from_json must be found by ADL, "
                             "which does not look into classes: declare it at namespace scope (a 'using {} = ...;' "
                             "in the class keeps its old name)",
                             name, r->getName()));
        return false;
      }
      const clang::CXXRecordDecl* def = r->getDefinition();
      if (def == nullptr) {
        error(d, fmt::format("ROC_STRUCT '{}' is not defined here", name));
        return false;
      }
      if (def->getNumBases() != 0) {
        error(d, fmt::format("ROC_STRUCT '{}' has base classes; roc structs are plain aggregates", name));
        return false;
      }
      bool ok = true;
      for (const clang::FieldDecl* f : def->fields()) {
        if (f->getAccess() != clang::AS_public) {
          error(f, fmt::format("member '{}' of ROC_STRUCT '{}' is not public; its JSON codec could not reach it",
                               f->getNameAsString(), name));
          ok = false;
          continue;
        }
        auto m = map_value(f->getType(), f->getLocation(), fmt::format("member '{}' of '{}'", f->getNameAsString(), name));
        if (!m) {
          ok = false;
          continue;
        }
        decl.fields.push_back(Field{f->getNameAsString(), m->idl, m->cxx, doc(f)});
      }
      if (!ok) return false;
    }
  }
  out_.doc.types.push_back(std::move(decl));
  return true;
}

// ---- default arguments ----

void Extractor::default_argument(const clang::ParmVarDecl* parm, clang::QualType value_type, const std::string& method,
                                 Param& p) {
  if (!parm->hasDefaultArg() || parm->hasUnparsedDefaultArg() || parm->hasUninstantiatedDefaultArg()) return;
  const clang::Expr* e = parm->getDefaultArg();
  std::optional<std::pair<std::string, std::string>> value;
  if (e != nullptr && !e->isValueDependent() && !e->isTypeDependent() && !e->containsErrors()) {
    value = default_of(e, value_type, p.type);
  }
  if (value) {
    p.default_value = value->first;
    p.default_cxx = value->second;
    return;
  }
  warning(e != nullptr ? e->getBeginLoc() : parm->getLocation(),
          fmt::format("the default argument of parameter '{}' of '{}' is not a constant roc can send; callers "
                      "through roc must pass '{}'",
                      p.name, method, p.name));
}

/// The default `e` of a slot of C++ type `type` and IDL type `idl`, as {JSON text, C++ expression};
/// the JSON text is empty when only the C++ form exists (value-initialized structs).
std::optional<std::pair<std::string, std::string>> Extractor::default_of(const clang::Expr* e, clang::QualType type,
                                                                         const std::string& idl) {
  using Result = std::pair<std::string, std::string>;
  clang::QualType canon = type.getCanonicalType();
  auto evaluate = [&]() -> std::optional<clang::APValue> {
    clang::Expr::EvalResult r;
    if (e->isValueDependent() || !e->EvaluateAsRValue(r, ctx_) || r.HasSideEffects) return std::nullopt;
    return r.Val;
  };
  if (idl == "bool") {
    auto v = evaluate();
    if (!v || !v->isInt()) return std::nullopt;
    std::string text = v->getInt().getBoolValue() ? "true" : "false";
    return Result{text, text};
  }
  if (canon->isIntegerType() && !canon->isEnumeralType()) {
    auto v = evaluate();
    if (!v || !v->isInt()) return std::nullopt;
    const llvm::APSInt& i = v->getInt();
    std::string text = llvm::toString(i, 10);
    // Past INT64_MAX a literal needs a suffix to be unsigned without a warning.
    std::string cxx = (i.isUnsigned() && i.getActiveBits() > 63) ? text + "u" : text;
    return Result{text, cxx};
  }
  if (canon->isRealFloatingType()) {
    auto v = evaluate();
    if (!v || !v->isFloat()) return std::nullopt;
    double d = v->getFloat().convertToDouble();
    if (!std::isfinite(d)) return std::nullopt;  // JSON has no inf or NaN
    bool is_float = canon->isSpecificBuiltinType(clang::BuiltinType::Float);
    std::string text = float_text(d, is_float);
    return Result{text, is_float ? text + "f" : text};
  }
  if (const auto* et = canon->getAs<clang::EnumType>()) {
    auto v = evaluate();
    const clang::EnumDecl* ed = et->getDecl()->getDefinition();
    if (!v || !v->isInt() || ed == nullptr) return std::nullopt;
    // The enumerator as written, when it is one: an alias (`fast = b19200`) keeps its own name.
    const clang::EnumConstantDecl* written = nullptr;
    if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(strip(e))) {
      written = llvm::dyn_cast<clang::EnumConstantDecl>(ref->getDecl());
    }
    for (const clang::EnumConstantDecl* c : ed->enumerators()) {
      if (!llvm::APSInt::isSameValue(c->getInitVal(), v->getInt())) continue;
      if (written != nullptr && written->getDeclContext() == ed && c != written) continue;
      // A scoped enumerator is named through its enum, an unscoped one through the enclosing scope.
      std::string scope;
      if (ed->isScoped()) {
        scope = type_name(ed);
      } else if (const auto* tag = llvm::dyn_cast<clang::TagDecl>(ed->getDeclContext()->getRedeclContext())) {
        scope = type_name(tag);
      } else if (const auto* ns = llvm::dyn_cast<clang::NamespaceDecl>(ed->getDeclContext()->getRedeclContext())) {
        scope = ns->getQualifiedNameAsString();
      }
      std::string cxx = "::" + (scope.empty() ? "" : scope + "::") + c->getNameAsString();
      return Result{json_quote(c->getName()), cxx};
    }
    return std::nullopt;
  }
  if (idl == "string") {
    if (auto s = string_literal(e)) return Result{json_quote(*s), cxx_quote(*s)};
    if (canon->isRecordType() && value_init(e)) return Result{"\"\"", "{}"};
    return std::nullopt;
  }
  if (idl.rfind("optional<", 0) == 0) {
    const clang::Expr* s = strip(e);
    if (const auto* c = llvm::dyn_cast<clang::CXXConstructExpr>(s); c != nullptr && c->getNumArgs() == 1) {
      s = strip(c->getArg(0));  // optional(std::nullopt_t)
    }
    if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(s); ref != nullptr && ref->getDecl()->getName() == "nullopt") {
      return Result{"null", "std::nullopt"};
    }
    if (value_init(e)) return Result{"null", "std::nullopt"};
    return std::nullopt;
  }
  if (idl.rfind("array<", 0) == 0 || idl.rfind("map<", 0) == 0) {
    if (!value_init(e)) return std::nullopt;
    static const std::regex fixed_size(",[0-9]+>$");
    if (std::regex_search(idl, fixed_size)) return Result{"", "{}"};  // std::array: N values, not []
    return Result{idl[0] == 'a' ? "[]" : "{}", "{}"};
  }
  if (idl.rfind("duration<", 0) == 0) {
    auto v = evaluate();
    if (!v || !v->isStruct() || v->getStructNumFields() != 1) return std::nullopt;
    const clang::APValue& count = v->getStructField(0);
    std::string text;
    if (count.isInt()) {
      text = llvm::toString(count.getInt(), 10);
    } else if (count.isFloat() && std::isfinite(count.getFloat().convertToDouble())) {
      text = float_text(count.getFloat().convertToDouble(), false);
    } else {
      return std::nullopt;
    }
    return Result{text, fmt::format("{}({})", cxx_spelling(type.getUnqualifiedType(), true), text)};
  }
  if (canon->isRecordType() && value_init(e)) return Result{"", "{}"};  // a struct: the proxy's default only
  return std::nullopt;
}

}  // namespace roc::gen::detail
