// The Clang AST → IDL model extraction: finds ROC_* annotations in the main file, maps C++ types
// to IDL types, and reports unsupported constructs at their declarations. Knows nothing of output.
#include "frontend/extractor.hpp"

#include "model/idl_json.hpp"
#include "model/signature.hpp"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/Attr.h>
#include <clang/AST/DeclCXX.h>
#include <clang/AST/DeclTemplate.h>
#include <clang/AST/QualTypeNames.h>
#include <clang/AST/RawCommentList.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/SourceManager.h>
#include <fmt/format.h>

#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>

namespace roc::gen {
namespace {

// Annotation texts written by roc/annotate.hpp.
constexpr llvm::StringLiteral object_tag = "roc::object";
constexpr llvm::StringLiteral method_tag = "roc::method";
constexpr llvm::StringLiteral property_tag = "roc::property";
constexpr llvm::StringLiteral struct_tag = "roc::struct";
constexpr llvm::StringLiteral enum_tag = "roc::enum";

/// The annotation `tag` or `tag=name` on `d`: nullopt when absent, "" for the plain form, else name.
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

bool is_identifier(const std::string& s) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, re);
}

struct Mapped {
  std::string idl;
  std::string cxx;
};

class Extractor {
 public:
  Extractor(clang::ASTContext& ctx, ScanResult& out) : ctx_(ctx), sm_(ctx.getSourceManager()), out_(out) {}

  void run(clang::TranslationUnitDecl* tu) {
    Visitor v(*this);
    v.TraverseDecl(tu);
  }

 private:
  class Visitor : public clang::RecursiveASTVisitor<Visitor> {
   public:
    explicit Visitor(Extractor& e) : e_(e) {}
    bool VisitCXXRecordDecl(clang::CXXRecordDecl* d) {
      if (d->isThisDeclarationADefinition() && e_.in_main_file(d)) {
        if (annotation(d, object_tag)) e_.object(d);
        if (annotation(d, struct_tag)) e_.named_type(d->getTypeForDecl()->getCanonicalTypeInternal(), d);
      }
      return true;
    }
    bool VisitEnumDecl(clang::EnumDecl* d) {
      if (d->isThisDeclarationADefinition() && e_.in_main_file(d) && annotation(d, enum_tag)) {
        e_.named_type(e_.ctx_.getEnumType(d), d);
      }
      return true;
    }

   private:
    Extractor& e_;
  };

  bool in_main_file(const clang::Decl* d) const { return sm_.isInMainFile(sm_.getExpansionLoc(d->getLocation())); }

  Location location(clang::SourceLocation loc) const {
    clang::PresumedLoc p = sm_.getPresumedLoc(sm_.getExpansionLoc(loc));
    if (p.isInvalid()) return {};
    return Location{p.getFilename(), p.getLine(), p.getColumn()};
  }

  void error(const clang::Decl* d, std::string message) { error(d->getLocation(), std::move(message)); }
  void error(clang::SourceLocation loc, std::string message) {
    out_.errors.push_back(Diagnostic{location(loc), std::move(message)});
  }

  std::string doc(const clang::Decl* d) const {
    const clang::RawComment* c = ctx_.getRawCommentForDeclNoCache(d);
    if (c == nullptr) return {};
    return c->getFormattedText(sm_, ctx_.getDiagnostics());
  }

  std::string cxx_spelling(clang::QualType t) const {
    clang::PrintingPolicy policy(ctx_.getLangOpts());
    policy.SuppressScope = false;
    policy.AnonymousTagLocations = false;
    policy.SuppressUnwrittenScope = true;
    policy.FullyQualifiedName = true;
    std::string text = clang::TypeName::getFullyQualifiedName(t, ctx_, policy, /*WithGlobalNsPrefix=*/false);
    // <cstdint>'s std::uint16_t is a using-declaration of ::uint16_t, so Clang prints the global
    // name; generated code spells the std:: one, which <cstdint> guarantees.
    static const std::regex c_names("(^|[^:A-Za-z0-9_])(u?int(8|16|32|64)_t|size_t|ptrdiff_t)\\b");
    return std::regex_replace(text, c_names, "$1std::$2");
  }

  /// A type as the user wrote it, for messages: `Opaque`, not `struct Opaque`.
  std::string written(clang::QualType t) const {
    clang::PrintingPolicy policy(ctx_.getLangOpts());
    policy.SuppressTagKeyword = true;
    return t.getAsString(policy);
  }

  // ---- type mapping ----

  /// The IDL type of a value slot. `where` and `what` locate and name the slot for errors
  /// ("parameter 'roi' of 'set_roi'"). nullopt after reporting an error.
  std::optional<Mapped> map_value(clang::QualType t, clang::SourceLocation where, const std::string& what) {
    t = t.getNonReferenceType().getUnqualifiedType();
    std::optional<std::string> idl = map_idl(t, where, what);
    if (!idl) return std::nullopt;
    return Mapped{*idl, cxx_spelling(t)};
  }

  std::optional<std::string> map_idl(clang::QualType type, clang::SourceLocation where, const std::string& what) {
    clang::QualType t = type.getCanonicalType().getUnqualifiedType();
    auto unsupported = [&](const std::string& why) -> std::optional<std::string> {
      error(where, fmt::format("{} has type '{}', which {}", what, written(type), why));
      return std::nullopt;
    };
    if (t->isPointerType() || t->isMemberPointerType()) {
      return unsupported("is a raw pointer: roc sends values, pass it by value or by reference");
    }
    if (t->isReferenceType()) return unsupported("is a reference to a reference");
    if (const auto* b = t->getAs<clang::BuiltinType>()) {
      if (b->getKind() == clang::BuiltinType::Void) return std::string("void");
      if (b->getKind() == clang::BuiltinType::Bool) return std::string("bool");
      if (b->getKind() == clang::BuiltinType::Float) return std::string("float");
      if (b->getKind() == clang::BuiltinType::Double) return std::string("double");
      if (b->isInteger() && !t->isWideCharType() && !t->isChar16Type() && !t->isChar32Type() &&
          !t->isChar8Type()) {
        std::uint64_t bits = ctx_.getTypeSize(t);
        if (bits == 8 || bits == 16 || bits == 32 || bits == 64) {
          return fmt::format("{}int{}", b->isSignedInteger() ? "" : "u", bits);
        }
      }
      return unsupported("has no JSON mapping in roc");
    }
    if (const auto* e = t->getAs<clang::EnumType>()) {
      clang::EnumDecl* d = e->getDecl();
      if (!annotation(d, enum_tag)) {
        return unsupported(fmt::format("is an enum without ROC_ENUM: annotate '{}' so it travels as its names",
                                       d->getQualifiedNameAsString()));
      }
      if (!named_type(t, d)) return std::nullopt;
      return d->getQualifiedNameAsString();
    }
    if (const auto* r = t->getAsCXXRecordDecl()) return map_record(t, r, where, what, type);
    return unsupported("has no JSON mapping in roc");
  }

  /// The qualified name of a std template ("std::vector"), with libstdc++'s inline namespaces removed.
  static std::string template_name(const clang::ClassTemplateSpecializationDecl* s) {
    std::string name = s->getSpecializedTemplate()->getQualifiedNameAsString();
    for (const char* inline_ns : {"__cxx11::", "__1::", "__debug::"}) {
      auto pos = name.find(inline_ns);
      if (pos != std::string::npos) name.erase(pos, std::string(inline_ns).size());
    }
    return name;
  }

  std::optional<std::string> map_record(clang::QualType t, const clang::CXXRecordDecl* r, clang::SourceLocation where,
                                        const std::string& what, clang::QualType written) {
    auto unsupported = [&](const std::string& why) -> std::optional<std::string> {
      error(where, fmt::format("{} has type '{}', which {}", what, this->written(written), why));
      return std::nullopt;
    };
    if (const auto* s = llvm::dyn_cast<clang::ClassTemplateSpecializationDecl>(r)) {
      std::string name = template_name(s);
      const clang::TemplateArgumentList& args = s->getTemplateArgs();
      auto type_arg = [&](unsigned i) { return args[i].getAsType(); };
      auto element = [&](unsigned i) { return map_idl(type_arg(i), where, what); };
      if (name == "std::basic_string") {
        if (type_arg(0)->isSpecificBuiltinType(clang::BuiltinType::Char_S) ||
            type_arg(0)->isSpecificBuiltinType(clang::BuiltinType::Char_U)) {
          return std::string("string");
        }
        return unsupported("is a string of wide characters; roc sends std::string (UTF-8)");
      }
      if (name == "std::vector") {
        auto e = element(0);
        if (!e) return std::nullopt;
        return fmt::format("array<{}>", *e);
      }
      if (name == "std::array") {
        auto e = element(0);
        if (!e) return std::nullopt;
        return fmt::format("array<{},{}>", *e, args[1].getAsIntegral().getZExtValue());
      }
      if (name == "std::map" || name == "std::unordered_map") {
        auto k = element(0);
        if (!k) return std::nullopt;
        if (*k != "string") return unsupported("is a map whose keys are not std::string (JSON object keys are strings)");
        auto v = element(1);
        if (!v) return std::nullopt;
        return fmt::format("map<{}>", *v);
      }
      if (name == "std::optional") {
        auto e = element(0);
        if (!e) return std::nullopt;
        return fmt::format("optional<{}>", *e);
      }
      if (name == "std::pair" || name == "std::tuple") {
        std::vector<clang::QualType> elements;
        if (name == "std::pair") {
          elements = {type_arg(0), type_arg(1)};
        } else {
          for (const auto& a : args[0].pack_elements()) elements.push_back(a.getAsType());
        }
        if (elements.empty()) return unsupported("is an empty tuple");
        std::string out = "tuple<";
        for (std::size_t i = 0; i < elements.size(); ++i) {
          auto e = map_idl(elements[i], where, what);
          if (!e) return std::nullopt;
          out += (i == 0 ? "" : ",") + *e;
        }
        return out + ">";
      }
      if (name == "std::chrono::duration") {
        auto rep = element(0);
        if (!rep) return std::nullopt;
        const auto* ratio = type_arg(1)->getAsCXXRecordDecl();
        const auto* rs = llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(ratio);
        if (rs == nullptr) return unsupported("is a duration with an unknown period");
        std::int64_t num = rs->getTemplateArgs()[0].getAsIntegral().getExtValue();
        std::int64_t den = rs->getTemplateArgs()[1].getAsIntegral().getExtValue();
        static const std::map<std::pair<std::int64_t, std::int64_t>, const char*> units = {
            {{1, 1000000000}, "ns"}, {{1, 1000000}, "us"}, {{1, 1000}, "ms"},
            {{1, 1}, "s"},           {{60, 1}, "min"},     {{3600, 1}, "h"}};
        auto u = units.find({num, den});
        if (u == units.end()) return unsupported("is a duration whose unit is not one of ns us ms s min h");
        return fmt::format("duration<{},{}>", *rep, u->second);
      }
      if (s->isInStdNamespace() || name.rfind("std::", 0) == 0) {
        return unsupported("has no JSON mapping in roc (see docs/codegen.md for the supported types)");
      }
    }
    std::string qualified = r->getQualifiedNameAsString();
    if (qualified == "roc::json::Json") return std::string("json");
    if (r->isInStdNamespace() || qualified.rfind("std::", 0) == 0) {
      return unsupported("has no JSON mapping in roc (see docs/codegen.md for the supported types)");
    }
    if (annotation(r, struct_tag)) {
      if (!named_type(t, r)) return std::nullopt;
      return qualified;
    }
    if (has_adl_to_json(r)) {
      if (!named_type(t, r)) return std::nullopt;
      return qualified;
    }
    return unsupported(fmt::format("has no JSON mapping: annotate '{}' with ROC_STRUCT, or give it "
                                   "to_json/from_json found by ADL",
                                   qualified));
  }

  /// True when a `to_json` taking this type as its second parameter is declared in the type's
  /// namespace or as its friend — what the runtime's ADL lookup will find.
  bool has_adl_to_json(const clang::CXXRecordDecl* r) const {
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

  /// Registers the named type `t` declared by `d` (once; dependencies first). False on error.
  bool named_type(clang::QualType t, const clang::Decl* d) {
    const auto* nd = llvm::cast<clang::NamedDecl>(d);
    std::string name = nd->getQualifiedNameAsString();
    if (done_.count(name) != 0) return true;
    if (in_progress_.count(name) != 0) {
      error(d, fmt::format("'{}' contains itself; roc sends trees of values, not graphs", name));
      return false;
    }
    if (failed_.count(name) != 0) return false;
    in_progress_.insert(name);
    bool ok = register_type(t, d, name);
    in_progress_.erase(name);
    (ok ? done_ : failed_).insert(name);
    return ok;
  }

  bool register_type(clang::QualType, const clang::Decl* d, const std::string& name) {
    TypeDecl decl;
    decl.name = name;
    decl.doc = doc(d);
    decl.location = location(d->getLocation());
    decl.generated_elsewhere = !in_main_file(d);
    if (!d->getDeclContext()->getRedeclContext()->isFileContext()) {
      error(d, fmt::format("'{}' is nested in a class; declare annotated structs and enums at namespace "
                           "scope so their JSON functions can be found by ADL",
                           name));
      return false;
    }
    if (const auto* e = llvm::dyn_cast<clang::EnumDecl>(d)) {
      decl.kind = TypeKind::enumeration;
      for (const clang::EnumConstantDecl* c : e->enumerators()) {
        decl.values.push_back(Enumerator{c->getNameAsString(), c->getInitVal().getExtValue(), doc(c)});
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
        if (!r->isCompleteDefinition()) {
          error(d, fmt::format("ROC_STRUCT '{}' is not defined here", name));
          return false;
        }
        if (r->getNumBases() != 0) {
          error(d, fmt::format("ROC_STRUCT '{}' has base classes; roc structs are plain aggregates", name));
          return false;
        }
        bool ok = true;
        for (const clang::FieldDecl* f : r->fields()) {
          if (f->getAccess() != clang::AS_public) {
            error(f, fmt::format("member '{}' of ROC_STRUCT '{}' is not public; its JSON codec could not reach it",
                                 f->getNameAsString(), name));
            ok = false;
            continue;
          }
          auto m = map_value(f->getType(), f->getLocation(),
                             fmt::format("member '{}' of '{}'", f->getNameAsString(), name));
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

  // ---- objects ----

  void object(const clang::CXXRecordDecl* d) {
    Object o;
    o.name = d->getQualifiedNameAsString();
    o.doc = doc(d);
    o.location = location(d->getLocation());
    std::set<std::string> wire_names;
    bool ok = members(d, d, o, wire_names);
    if (ok) out_.doc.objects.push_back(std::move(o));
  }

  /// Adds the annotated members of `cls` (the object `object` or one of its bases) and of its bases.
  bool members(const clang::CXXRecordDecl* object, const clang::CXXRecordDecl* cls, Object& o,
               std::set<std::string>& wire_names) {
    bool ok = true;
    std::string declared_in = cls == object ? std::string{} : cls->getQualifiedNameAsString();
    for (const clang::Decl* member : cls->decls()) {
      if (const auto* m = llvm::dyn_cast<clang::CXXMethodDecl>(member)) {
        if (auto wire = annotation(m, method_tag)) ok &= method(object, m, *wire, declared_in, o, wire_names);
        if (auto wire = annotation(m, property_tag)) ok &= getter_property(object, m, *wire, declared_in, o, wire_names);
      } else if (const auto* f = llvm::dyn_cast<clang::FieldDecl>(member)) {
        if (auto wire = annotation(f, property_tag)) ok &= field_property(f, *wire, declared_in, o, wire_names);
      } else if (const auto* v = llvm::dyn_cast<clang::VarDecl>(member)) {
        if (annotation(v, property_tag)) {
          error(v, fmt::format("'{}' is static; a property belongs to the published object", v->getNameAsString()));
          ok = false;
        }
      } else if (const auto* t = llvm::dyn_cast<clang::FunctionTemplateDecl>(member)) {
        if (annotation(t->getTemplatedDecl(), method_tag) || annotation(t->getTemplatedDecl(), property_tag)) {
          error(t, fmt::format("'{}' is a template; a remote method needs one concrete signature", t->getNameAsString()));
          ok = false;
        }
      }
    }
    for (const clang::CXXBaseSpecifier& base : cls->bases()) {
      const clang::CXXRecordDecl* b = base.getType()->getAsCXXRecordDecl();
      if (b == nullptr || !b->hasDefinition()) continue;
      b = b->getDefinition();
      std::size_t before = o.methods.size() + o.properties.size();
      ok &= members(object, b, o, wire_names);
      if (annotation(b, object_tag) || o.methods.size() + o.properties.size() != before) {
        o.bases.push_back(b->getQualifiedNameAsString());
      }
    }
    return ok;
  }

  bool check_wire_name(const clang::Decl* d, const std::string& wire, std::set<std::string>& wire_names) {
    if (!is_identifier(wire)) {
      error(d, fmt::format("wire name '{}' is not an identifier (it is also the proxy's member name)", wire));
      return false;
    }
    static const std::set<std::string> reserved = {"signature", "handle", "async", "with_timeout"};
    if (reserved.count(wire) != 0) {
      error(d, fmt::format("'{}' is reserved for the generated proxy's own members; give it another wire name "
                           "with ROC_METHOD_AS / ROC_PROPERTY_AS",
                           wire));
      return false;
    }
    if (!wire_names.insert(wire).second) {
      error(d, fmt::format("the wire name '{}' is used twice in this object", wire));
      return false;
    }
    return true;
  }

  bool accessible(const clang::NamedDecl* d, const char* what) {
    if (d->getAccess() == clang::AS_public) return true;
    error(d, fmt::format("{} '{}' is not public", what, d->getNameAsString()));
    return false;
  }

  /// True when `name` names more than one member function in `object` or its bases.
  bool overloaded(const clang::CXXRecordDecl* object, const clang::CXXMethodDecl* m) {
    std::size_t count = 0;
    std::function<void(const clang::CXXRecordDecl*)> visit = [&](const clang::CXXRecordDecl* c) {
      for (const clang::NamedDecl* nd : c->lookup(m->getDeclName())) {
        if (llvm::isa<clang::CXXMethodDecl>(nd) || llvm::isa<clang::FunctionTemplateDecl>(nd)) ++count;
      }
      for (const auto& b : c->bases()) {
        if (const auto* bd = b.getType()->getAsCXXRecordDecl(); bd != nullptr && bd->hasDefinition()) {
          visit(bd->getDefinition());
        }
      }
    };
    visit(object);
    return count > 1;
  }

  bool method(const clang::CXXRecordDecl* object, const clang::CXXMethodDecl* m, const std::string& wire_name,
              const std::string& declared_in, Object& o, std::set<std::string>& wire_names) {
    std::string name = m->getNameAsString();
    if (llvm::isa<clang::CXXConstructorDecl>(m) || llvm::isa<clang::CXXDestructorDecl>(m) ||
        m->isOverloadedOperator() || llvm::isa<clang::CXXConversionDecl>(m)) {
      error(m, "ROC_METHOD can only mark ordinary member functions");
      return false;
    }
    if (m->isStatic()) {
      error(m, fmt::format("'{}' is static; remote methods are called on the published object", name));
      return false;
    }
    if (!accessible(m, "method")) return false;
    if (overloaded(object, m)) {
      error(m, fmt::format("'{}' is overloaded; a remote method needs a unique C++ name (rename the overloads)", name));
      return false;
    }
    Method out;
    out.name = wire_name.empty() ? name : wire_name;
    if (out.name != name) out.cxx_name = name;
    if (!check_wire_name(m, out.name, wire_names)) return false;
    out.declared_in = declared_in;
    out.is_const = m->isConst();
    out.doc = doc(m);
    out.location = location(m->getLocation());
    bool ok = true;
    unsigned index = 0;
    for (const clang::ParmVarDecl* p : m->parameters()) {
      ++index;
      std::string pname = p->getNameAsString();
      if (pname.empty()) {
        error(p->getBeginLoc(), fmt::format("parameter {} of '{}' has no name; roc needs it for calls by name",
                                            index, name));
        ok = false;
        continue;
      }
      clang::QualType pt = p->getType();
      if (pt->isLValueReferenceType() && !pt.getNonReferenceType().isConstQualified()) {
        error(p, fmt::format("parameter '{}' of '{}' is a non-const reference; remote calls cannot write back "
                             "to arguments, return the value instead",
                             pname, name));
        ok = false;
        continue;
      }
      auto mapped = map_value(pt, p->getLocation(), fmt::format("parameter '{}' of '{}'", pname, name));
      if (!mapped) {
        ok = false;
        continue;
      }
      if (mapped->idl == "void") continue;  // unreachable: void parameters do not exist
      Param param;
      param.name = pname;
      param.type = mapped->idl;
      param.cxx = mapped->cxx;
      out.params.push_back(std::move(param));
    }
    clang::QualType rt = m->getReturnType();
    if (rt->isLValueReferenceType() && !rt.getNonReferenceType().isConstQualified()) {
      // A mutable reference return is fine to copy from; it is sent by value like any other.
    }
    auto ret = map_value(rt, m->getLocation(), fmt::format("the result of '{}'", name));
    if (!ret) return false;
    out.returns = ret->idl;
    if (ret->idl != "void") out.returns_cxx = ret->cxx;
    if (!ok) return false;
    o.methods.push_back(std::move(out));
    return true;
  }

  bool getter_property(const clang::CXXRecordDecl* object, const clang::CXXMethodDecl* g, const std::string& wire_name,
                       const std::string& declared_in, Object& o, std::set<std::string>& wire_names) {
    std::string name = g->getNameAsString();
    if (!accessible(g, "property getter")) return false;
    if (g->isStatic() || !g->isConst() || g->getNumParams() != 0) {
      error(g, fmt::format("ROC_PROPERTY on a member function needs a const getter with no parameters; '{}' is not",
                           name));
      return false;
    }
    if (overloaded(object, g)) {
      error(g, fmt::format("property getter '{}' is overloaded", name));
      return false;
    }
    Property p;
    p.name = wire_name.empty() ? name : wire_name;
    if (!check_wire_name(g, p.name, wire_names)) return false;
    auto t = map_value(g->getReturnType(), g->getLocation(), fmt::format("property '{}'", p.name));
    if (!t) return false;
    if (t->idl == "void") {
      error(g, fmt::format("property getter '{}' returns void", name));
      return false;
    }
    p.type = t->idl;
    p.cxx = t->cxx;
    p.getter = name;
    p.declared_in = declared_in;
    p.doc = doc(g);
    p.location = location(g->getLocation());
    // The setter is found by name: set_<getter>, taking one value of the same IDL type.
    std::string setter_name = "set_" + name;
    const clang::CXXMethodDecl* setter = nullptr;
    std::size_t found = 0;
    for (const clang::NamedDecl* nd : g->getParent()->lookup(&ctx_.Idents.get(setter_name))) {
      if (const auto* s = llvm::dyn_cast<clang::CXXMethodDecl>(nd)) {
        setter = s;
        ++found;
      }
    }
    if (found > 1) {
      error(g, fmt::format("setter '{}' of property '{}' is overloaded", setter_name, p.name));
      return false;
    }
    if (setter != nullptr && setter->getAccess() == clang::AS_public && !setter->isStatic()) {
      if (setter->getNumParams() != 1) {
        error(setter, fmt::format("setter '{}' of property '{}' must take exactly one value", setter_name, p.name));
        return false;
      }
      auto st = map_value(setter->getParamDecl(0)->getType(), setter->getLocation(),
                          fmt::format("the value of setter '{}'", setter_name));
      if (!st) return false;
      if (st->idl != p.type) {
        error(setter, fmt::format("setter '{}' takes {} but getter '{}' returns {}", setter_name, st->idl, name,
                                  p.type));
        return false;
      }
      p.setter = setter_name;
    }
    p.readonly = p.setter.empty();
    o.properties.push_back(std::move(p));
    return true;
  }

  bool field_property(const clang::FieldDecl* f, const std::string& wire_name, const std::string& declared_in,
                      Object& o, std::set<std::string>& wire_names) {
    if (!accessible(f, "property")) return false;
    Property p;
    p.name = wire_name.empty() ? f->getNameAsString() : wire_name;
    if (!check_wire_name(f, p.name, wire_names)) return false;
    auto t = map_value(f->getType(), f->getLocation(), fmt::format("property '{}'", p.name));
    if (!t) return false;
    if (f->getType()->isReferenceType()) {
      error(f, fmt::format("property '{}' is a reference member; roc properties are values", p.name));
      return false;
    }
    p.type = t->idl;
    p.cxx = t->cxx;
    p.readonly = f->getType().isConstQualified();
    p.member = f->getNameAsString();
    p.declared_in = declared_in;
    p.doc = doc(f);
    p.location = location(f->getLocation());
    o.properties.push_back(std::move(p));
    return true;
  }

  clang::ASTContext& ctx_;
  const clang::SourceManager& sm_;
  ScanResult& out_;
  std::set<std::string> done_, in_progress_, failed_;
};

class Consumer : public clang::ASTConsumer {
 public:
  explicit Consumer(ScanResult& out) : out_(out) {}
  void HandleTranslationUnit(clang::ASTContext& ctx) override {
    // After a Clang error the AST may be partial; its errors were printed, so extract nothing.
    if (ctx.getDiagnostics().hasErrorOccurred()) {
      out_.compile_failed = true;
      return;
    }
    Extractor(ctx, out_).run(ctx.getTranslationUnitDecl());
  }

 private:
  ScanResult& out_;
};

}  // namespace

std::string Diagnostic::str() const {
  if (location.line == 0) return fmt::format("{}: error: {}", location.file.empty() ? "roc-gen" : location.file, message);
  return fmt::format("{}:{}:{}: error: {}", location.file, location.line, location.column, message);
}

namespace detail {

std::unique_ptr<clang::ASTConsumer> make_extractor(ScanResult& out) { return std::make_unique<Consumer>(out); }

void finish_scan(ScanResult& result, const std::string& main_file) {
  if (!result.ok()) return;
  bool annotated_here = !result.doc.objects.empty();
  for (const auto& t : result.doc.types) annotated_here = annotated_here || !t.generated_elsewhere;
  if (!annotated_here) {
    result.errors.push_back(Diagnostic{
        Location{main_file, 1, 1},
        "no ROC_OBJECT, ROC_STRUCT or ROC_ENUM in this header (does it include <roc/annotate.hpp>, and are "
        "the annotations spelled right?)"});
    return;
  }
  try {
    check_document(result.doc);
  } catch (const IdlError& e) {
    result.errors.push_back(Diagnostic{Location{main_file, 0, 0}, e.what()});
    return;
  }
  for (auto& o : result.doc.objects) o.signature = compute_signature(o, result.doc);
}

}  // namespace detail
}  // namespace roc::gen
