// The Clang AST → IDL model extraction: finds ROC_* annotations in the target header, collects the
// members each annotated class exposes (under C++ name hiding, overloads and overrides), and reports
// unsupported constructs at their declarations. Type mapping is in types.cpp. Knows nothing of output.
#include "frontend/consumer.hpp"
#include "frontend/extractor.hpp"

#include "model/idl_json.hpp"
#include "model/signature.hpp"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/Attr.h>
#include <clang/AST/DeclTemplate.h>
#include <clang/AST/RawCommentList.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <fmt/format.h>
#include <llvm/Support/CrashRecoveryContext.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <regex>

namespace roc::gen {
namespace detail {
namespace {

bool is_identifier(const std::string& s) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, re);
}

/// Only for the scanner's own test of its safety net: a class carrying this annotation crashes the scan.
constexpr llvm::StringLiteral crash_test_tag = "roc::internal-test-crash";

}  // namespace

class Extractor::Visitor : public clang::RecursiveASTVisitor<Visitor> {
 public:
  explicit Visitor(Extractor& e) : e_(e) {}
  bool VisitCXXRecordDecl(clang::CXXRecordDecl* d) {
    if (!d->isThisDeclarationADefinition() || !e_.in_target(d)) return true;
    if (annotation(d, object_tag)) e_.guarded(d, [&] { e_.object(d); });
    if (annotation(d, struct_tag)) e_.guarded(d, [&] { e_.named_type(e_.ctx_.getRecordType(d), d); });
    return true;
  }
  bool VisitEnumDecl(clang::EnumDecl* d) {
    if (d->isThisDeclarationADefinition() && e_.in_target(d) && annotation(d, enum_tag)) {
      e_.guarded(d, [&] { e_.named_type(e_.ctx_.getEnumType(d), d); });
    }
    return true;
  }

 private:
  Extractor& e_;
};

void Extractor::run(clang::TranslationUnitDecl* tu) {
  // Installs the signal handlers the per-declaration recovery contexts use. Again at each scan:
  // a host program (a test framework) may have installed its own since; a signal outside a
  // recovery context still reaches those.
  llvm::CrashRecoveryContext::Disable();
  llvm::CrashRecoveryContext::Enable();
  Visitor v(*this);
  v.TraverseDecl(tu);
}

void Extractor::guarded(const clang::Decl* d, const std::function<void()>& f) {
  llvm::CrashRecoveryContext crc;
  bool ok = crc.RunSafely([&] {
    if (d->hasAttr<clang::AnnotateAttr>() && annotation(d, crash_test_tag)) std::raise(SIGSEGV);
    f();
  });
  if (!ok) error(d, "roc-gen could not read this declaration (internal error)");
}

bool Extractor::in_target(const clang::Decl* d) const {
  clang::SourceLocation loc = sm_.getExpansionLoc(d->getLocation());
  if (loc.isInvalid()) return false;
  if (target_ == nullptr) return sm_.isInMainFile(loc);
  // FileEntry identity follows the file, not its spelling (./x.hpp, symlinks, ...).
  return sm_.getFileEntryForID(sm_.getFileID(loc)) == target_;
}

Location Extractor::location(clang::SourceLocation loc) const {
  clang::PresumedLoc p = sm_.getPresumedLoc(sm_.getExpansionLoc(loc));
  if (p.isInvalid()) return {};
  return Location{p.getFilename(), p.getLine(), p.getColumn()};
}

void Extractor::error(clang::SourceLocation loc, std::string message) {
  out_.errors.push_back(Diagnostic{location(loc), std::move(message)});
}

void Extractor::warning(clang::SourceLocation loc, std::string message) {
  out_.warnings.push_back(Diagnostic{location(loc), std::move(message), Severity::warning});
}

std::string Extractor::doc(const clang::Decl* d) const {
  const clang::RawComment* c = ctx_.getRawCommentForDeclNoCache(d);
  if (c == nullptr) return {};
  return c->getFormattedText(sm_, ctx_.getDiagnostics());
}

// ---- objects ----

namespace {

/// The members one annotated class exposes. C++ name hiding decides which declarations of a
/// name are visible (those of the most-derived class declaring it, using-declarations included);
/// each visible member is exported when it, or a declaration with the same signature that it
/// overrides or hides in a base, is annotated (the most-derived annotation wins).
class ObjectScan {
 public:
  ObjectScan(Extractor& x, clang::ASTContext& ctx, const clang::CXXRecordDecl* object)
      : x_(x), ctx_(ctx), object_(object) {}

  bool run(Object& o) {
    classes(object_);
    // Names in the order their first annotated declaration appears (the object first, then its bases).
    std::vector<clang::DeclarationName> names;
    for (const clang::CXXRecordDecl* c : order_) {
      for (const clang::Decl* member : c->decls()) scan_member(c, member, names);
    }
    for (const clang::DeclarationName& n : names) exported(n);
    // Members in declaration order: the object's own first, then each base's.
    sort_by_declaration(methods_, o.methods);
    sort_by_declaration(properties_, o.properties);
    for (const clang::CXXRecordDecl* c : post_order_) {
      if (c == object_ || llvm::isa<clang::ClassTemplateSpecializationDecl>(c)) continue;  // see declared_in()
      if (annotation(c, object_tag) || contributing_.count(c) != 0) o.bases.push_back(spelled(c));
    }
    return ok_;
  }

 private:
  std::string spelled(const clang::CXXRecordDecl* c) const { return x_.cxx_spelling(ctx_.getRecordType(c)); }
  std::string declared_in(const clang::CXXRecordDecl* c) {
    // A member of a template specialization is named through the object (`&Dev::get` has the
    // same type as `&Base<int>::get`): the IDL names classes without template arguments.
    if (c == object_ || llvm::isa<clang::ClassTemplateSpecializationDecl>(c)) return {};
    contributing_.insert(c);
    return spelled(c);
  }

  template <class T>
  void sort_by_declaration(std::vector<std::pair<const clang::NamedDecl*, T>>& from, std::vector<T>& to) {
    const clang::SourceManager& sm = ctx_.getSourceManager();
    auto rank = [&](const clang::NamedDecl* d) {
      const auto* c = llvm::cast<clang::CXXRecordDecl>(d->getDeclContext());
      return std::find(order_.begin(), order_.end(), c->getDefinition()) - order_.begin();
    };
    std::stable_sort(from.begin(), from.end(), [&](const auto& a, const auto& b) {
      if (rank(a.first) != rank(b.first)) return rank(a.first) < rank(b.first);
      return sm.isBeforeInTranslationUnit(a.first->getLocation(), b.first->getLocation());
    });
    for (auto& [d, v] : from) to.push_back(std::move(v));
  }

  static const clang::CXXRecordDecl* definition(const clang::CXXBaseSpecifier& b) {
    const clang::CXXRecordDecl* r = b.getType()->getAsCXXRecordDecl();
    return r != nullptr ? r->getDefinition() : nullptr;  // a dependent or incomplete base has nothing to read
  }

  void classes(const clang::CXXRecordDecl* c) {
    if (std::find(order_.begin(), order_.end(), c) != order_.end()) return;  // a virtual base, seen already
    order_.push_back(c);
    for (const clang::CXXBaseSpecifier& b : c->bases()) {
      if (const auto* d = definition(b)) classes(d);
    }
    post_order_.push_back(c);
  }

  void scan_member(const clang::CXXRecordDecl* c, const clang::Decl* member, std::vector<clang::DeclarationName>& names) {
    if (const auto* m = llvm::dyn_cast<clang::CXXMethodDecl>(member)) {
      if (!annotation(m, method_tag) && !annotation(m, property_tag)) return;
      if (llvm::isa<clang::CXXConstructorDecl>(m) || llvm::isa<clang::CXXDestructorDecl>(m) ||
          m->isOverloadedOperator() || llvm::isa<clang::CXXConversionDecl>(m)) {
        x_.error(m, "ROC_METHOD can only mark ordinary member functions");
        ok_ = false;
        return;
      }
      annotated_[m->getDeclName()].push_back(m);
      if (std::find(names.begin(), names.end(), m->getDeclName()) == names.end()) names.push_back(m->getDeclName());
    } else if (const auto* f = llvm::dyn_cast<clang::FieldDecl>(member)) {
      if (auto wire = annotation(f, property_tag)) ok_ &= field_property(c, f, *wire);
    } else if (const auto* v = llvm::dyn_cast<clang::VarDecl>(member)) {
      if (annotation(v, property_tag)) {
        x_.error(v, fmt::format("'{}' is static; a property belongs to the published object", v->getNameAsString()));
        ok_ = false;
      }
    } else if (const auto* t = llvm::dyn_cast<clang::FunctionTemplateDecl>(member)) {
      if (annotation(t->getTemplatedDecl(), method_tag) || annotation(t->getTemplatedDecl(), property_tag)) {
        x_.error(t, fmt::format("'{}' is a template; a remote method needs one concrete signature", t->getNameAsString()));
        ok_ = false;
      }
    }
  }

  /// The declarations of `name` visible in `c`: those of the most-derived class that declares it.
  /// Each is the declaration found by lookup (a using-declaration's shadow stays a shadow).
  std::vector<const clang::NamedDecl*> visible(const clang::CXXRecordDecl* c, clang::DeclarationName name) {
    std::vector<const clang::NamedDecl*> out;
    for (const clang::NamedDecl* nd : c->lookup(name)) {
      const clang::NamedDecl* target = nd->getUnderlyingDecl();
      if (llvm::isa<clang::CXXMethodDecl>(target) || llvm::isa<clang::FunctionTemplateDecl>(target)) out.push_back(nd);
    }
    if (!out.empty()) return out;
    for (const clang::CXXBaseSpecifier& b : c->bases()) {
      const clang::CXXRecordDecl* d = definition(b);
      if (d == nullptr) continue;
      for (const clang::NamedDecl* nd : visible(d, name)) {
        if (std::find(out.begin(), out.end(), nd) == out.end()) out.push_back(nd);
      }
    }
    return out;
  }

  bool same_signature(const clang::CXXMethodDecl* a, const clang::CXXMethodDecl* b) const {
    const auto* fa = a->getType()->getAs<clang::FunctionProtoType>();
    const auto* fb = b->getType()->getAs<clang::FunctionProtoType>();
    if (fa == nullptr || fb == nullptr || fa->getNumParams() != fb->getNumParams()) return false;
    for (unsigned i = 0; i < fa->getNumParams(); ++i) {
      if (!ctx_.hasSameType(fa->getParamType(i), fb->getParamType(i))) return false;
    }
    return fa->getMethodQuals() == fb->getMethodQuals() && fa->getRefQualifier() == fb->getRefQualifier();
  }

  /// `m`, then the declarations with its signature it overrides or hides, nearest first.
  void chain(const clang::CXXMethodDecl* m, std::vector<const clang::CXXMethodDecl*>& out) {
    if (std::find(out.begin(), out.end(), m) != out.end()) return;
    out.push_back(m);
    for (const clang::CXXBaseSpecifier& b : m->getParent()->bases()) {
      const clang::CXXRecordDecl* d = definition(b);
      if (d == nullptr) continue;
      for (const clang::NamedDecl* nd : visible(d, m->getDeclName())) {
        const auto* bm = llvm::dyn_cast<clang::CXXMethodDecl>(nd->getUnderlyingDecl());
        if (bm != nullptr && same_signature(bm, m)) chain(bm, out);
      }
    }
  }

  void exported(clang::DeclarationName name) {
    std::vector<const clang::NamedDecl*> vis = visible(object_, name);
    std::vector<std::pair<const clang::NamedDecl*, const clang::CXXMethodDecl*>> methods;
    for (const clang::NamedDecl* nd : vis) {
      if (const auto* m = llvm::dyn_cast<clang::CXXMethodDecl>(nd->getUnderlyingDecl())) methods.emplace_back(nd, m);
    }
    const clang::SourceManager& sm = ctx_.getSourceManager();
    std::stable_sort(methods.begin(), methods.end(), [&](const auto& a, const auto& b) {
      return sm.isBeforeInTranslationUnit(a.second->getLocation(), b.second->getLocation());
    });
    bool overloaded = vis.size() > 1;
    std::set<const clang::CXXMethodDecl*> covered;
    for (const auto& [found, m] : methods) {
      std::vector<const clang::CXXMethodDecl*> decls;
      chain(m, decls);
      std::optional<std::string> wire;
      bool is_property = false;
      for (const clang::CXXMethodDecl* d : decls) {
        covered.insert(d);
        if (wire) continue;
        if ((wire = annotation(d, method_tag))) {
          is_property = false;
        } else if ((wire = annotation(d, property_tag))) {
          is_property = true;
        }
      }
      if (!wire) continue;
      ok_ &= is_property ? getter_property(found, m, *wire, overloaded) : method(found, m, decls, *wire, overloaded);
    }
    // An annotated declaration that no visible declaration overrides or redeclares is hidden.
    for (const clang::CXXMethodDecl* a : annotated_[name]) {
      if (covered.count(a) != 0 || methods.empty()) continue;
      const clang::CXXMethodDecl* hider = methods.front().second;
      std::string base = spelled(a->getParent());
      x_.error(hider, fmt::format("'{}' hides the annotated '{}::{}' (C++ name hiding: another signature); add "
                                  "'using {}::{};' to '{}' to export it, or annotate this declaration",
                                  name.getAsString(), base, name.getAsString(), base, name.getAsString(),
                                  spelled(object_)));
      ok_ = false;
      break;
    }
  }

  bool check_wire_name(const clang::Decl* d, const std::string& wire, const std::string& cxx_name) {
    if (!is_identifier(wire)) {
      x_.error(d, fmt::format("wire name '{}' is not an identifier (it is also the proxy's member name)", wire));
      return false;
    }
    if (is_proxy_member(wire)) {
      x_.error(d, fmt::format("'{}' is reserved for the generated proxy's own members; give it another wire name "
                              "with ROC_METHOD_AS / ROC_PROPERTY_AS",
                              wire));
      return false;
    }
    auto [it, inserted] = wire_names_.emplace(wire, cxx_name);
    if (!inserted) {
      if (it->second == cxx_name && !cxx_name.empty()) {
        x_.error(d, fmt::format("'{}' is overloaded and two of its exported overloads share the wire name '{}'; give "
                                "each its own with ROC_METHOD_AS(\"...\")",
                                cxx_name, wire));
      } else {
        x_.error(d, fmt::format("the wire name '{}' is used twice in this object", wire));
      }
      return false;
    }
    return true;
  }

  bool accessible(const clang::NamedDecl* found, const clang::NamedDecl* d, const char* what) {
    if (found->getAccess() == clang::AS_public) return true;
    x_.error(d, fmt::format("{} '{}' is not public", what, d->getNameAsString()));
    return false;
  }

  /// `R (::ns::Class::*)(P...) const`: picks `m` out of its overload set (noexcept left out:
  /// the conversion to the pointer type without it is implicit).
  std::string pointer_type(const clang::CXXMethodDecl* m) const {
    const auto* f = m->getType()->getAs<clang::FunctionProtoType>();
    std::vector<std::string> params;
    for (clang::QualType p : f->getParamTypes()) params.push_back(x_.cxx_spelling(p, true));
    return fmt::format("{} ({}::*)({}){}{}", x_.cxx_spelling(f->getReturnType(), true),
                       x_.cxx_spelling(ctx_.getRecordType(m->getParent()), true), fmt::join(params, ", "),
                       m->isConst() ? " const" : "", m->isVolatile() ? " volatile" : "");
  }

  /// True when `t` is an lvalue reference to the object's class or one of its bases (a builder).
  bool returns_self(clang::QualType t) const {
    if (!t->isLValueReferenceType()) return false;
    const clang::CXXRecordDecl* r = t.getNonReferenceType()->getAsCXXRecordDecl();
    if (r == nullptr) return false;
    r = r->getCanonicalDecl();
    return r == object_->getCanonicalDecl() || object_->isDerivedFrom(r);
  }

  /// roc::CallContext, however spelled (through aliases, const, a reference).
  static bool is_call_context(clang::QualType t) {
    const clang::CXXRecordDecl* r = t.getNonReferenceType()->getAsCXXRecordDecl();
    return r != nullptr && r->getQualifiedNameAsString() == "roc::CallContext";
  }

  /// `decls`: `m` and the declarations it overrides or hides (chain()), nearest first.
  bool method(const clang::NamedDecl* found, const clang::CXXMethodDecl* m,
              const std::vector<const clang::CXXMethodDecl*>& decls, const std::string& wire_name, bool overloaded) {
    std::string name = m->getNameAsString();
    if (m->isStatic()) {
      x_.error(m, fmt::format("'{}' is static; remote methods are called on the published object", name));
      return false;
    }
    if (!accessible(found, m, "method")) return false;
    if (m->getRefQualifier() != clang::RQ_None) {
      x_.error(m, fmt::format("'{}' is ref-qualified ('&' or '&&' after its parameters); the published object is "
                              "called as an lvalue: remove the qualifier, or export a member without it that calls it",
                              name));
      return false;
    }
    if (m->isVariadic()) {
      x_.error(m, fmt::format("'{}' takes '...'; a remote method needs fixed parameters", name));
      return false;
    }
    Method out;
    out.name = wire_name.empty() ? name : wire_name;
    if (out.name != name) out.cxx_name = name;
    if (!check_wire_name(m, out.name, name)) return false;
    out.declared_in = declared_in(m->getParent());
    out.is_const = m->isConst();
    // An override documented only in the interface keeps the interface's comment.
    for (const auto* d : decls) {
      if (!(out.doc = x_.doc(d)).empty()) break;
    }
    out.location = x_.location(m->getLocation());
    if (overloaded) out.pointer_type = pointer_type(m);
    bool ok = true;
    unsigned index = 0;
    for (const clang::ParmVarDecl* p : m->parameters()) {
      ++index;
      std::string pname = p->getNameAsString();
      if (pname.empty()) {
        x_.error(p->getBeginLoc(), fmt::format("parameter {} of '{}' has no name; roc needs it for calls by name "
                                               "(name it in this declaration)",
                                               index, name));
        ok = false;
        continue;
      }
      clang::QualType pt = p->getType();
      if (is_call_context(pt)) {
        // The call's context, filled in by the binding: not a wire parameter, not in the proxy.
        if (!pt->isLValueReferenceType()) {
          x_.error(p->getLocation(), fmt::format("parameter '{}' of '{}' takes a roc::CallContext by value; take "
                                                 "it as 'roc::CallContext&' (the server fills it in)",
                                                 pname, name));
          ok = false;
          continue;
        }
        out.progress = out.cancellable = true;
        continue;
      }
      Param param;
      param.name = pname;
      // A non-const lvalue reference is an out-parameter: its value goes to the object and back.
      param.inout = pt->isLValueReferenceType() && !pt.getNonReferenceType().isConstQualified();
      auto mapped = x_.map_value(pt, p->getLocation(), fmt::format("parameter '{}' of '{}'", pname, name),
                                 param.inout ? Slot::value : Slot::parameter);
      if (!mapped) {
        ok = false;
        continue;
      }
      param.type = mapped->idl;
      param.cxx = mapped->cxx;
      x_.default_argument(p, pt.getNonReferenceType().getUnqualifiedType(), name, param);
      out.params.push_back(std::move(param));
    }
    clang::QualType rt = m->getReturnType();
    if (returns_self(rt)) {
      out.returns = "void";
      out.returns_self = true;
    } else {
      auto ret = x_.map_value(rt, m->getLocation(), fmt::format("the result of '{}'", name), Slot::result);
      if (!ret) return false;
      out.returns = ret->idl;
      if (ret->idl != "void") out.returns_cxx = ret->cxx;
    }
    if (!ok) return false;
    methods_.emplace_back(found, std::move(out));  // a using-declaration orders as itself
    return true;
  }

  bool getter_property(const clang::NamedDecl* found, const clang::CXXMethodDecl* g, const std::string& wire_name,
                       bool overloaded) {
    std::string name = g->getNameAsString();
    if (!accessible(found, g, "property getter")) return false;
    if (g->isStatic() || !g->isConst() || g->getNumParams() != 0) {
      x_.error(g, fmt::format("ROC_PROPERTY on a member function needs a const getter with no parameters; '{}' is not",
                              name));
      return false;
    }
    if (overloaded) {
      x_.error(g, fmt::format("property getter '{}' is overloaded; export it with ROC_METHOD instead (each overload "
                              "may have its own wire name)",
                              name));
      return false;
    }
    Property p;
    p.name = wire_name.empty() ? name : wire_name;
    if (!check_wire_name(g, p.name, {})) return false;
    auto t = x_.map_value(g->getReturnType(), g->getLocation(), fmt::format("property '{}'", p.name));
    if (!t) return false;
    if (t->idl == "void") {
      x_.error(g, fmt::format("property getter '{}' returns void", name));
      return false;
    }
    p.type = t->idl;
    p.cxx = t->cxx;
    p.getter = name;
    p.declared_in = declared_in(g->getParent());
    p.doc = x_.doc(g);
    p.location = x_.location(g->getLocation());
    // The setter is found by name: set_<getter>, taking one value of the same IDL type.
    std::string setter_name = "set_" + name;
    std::vector<const clang::NamedDecl*> setters = visible(object_, clang::DeclarationName(&ctx_.Idents.get(setter_name)));
    if (setters.size() > 1) {
      x_.error(g, fmt::format("setter '{}' of property '{}' is overloaded", setter_name, p.name));
      return false;
    }
    const auto* setter =
        setters.empty() ? nullptr : llvm::dyn_cast<clang::CXXMethodDecl>(setters.front()->getUnderlyingDecl());
    if (setter != nullptr && setters.front()->getAccess() == clang::AS_public && !setter->isStatic()) {
      if (setter->getNumParams() != 1) {
        x_.error(setter, fmt::format("setter '{}' of property '{}' must take exactly one value", setter_name, p.name));
        return false;
      }
      auto st = x_.map_value(setter->getParamDecl(0)->getType(), setter->getLocation(),
                             fmt::format("the value of setter '{}'", setter_name));
      if (!st) return false;
      if (st->idl != p.type) {
        x_.error(setter, fmt::format("setter '{}' takes {} but getter '{}' returns {}", setter_name, st->idl, name,
                                     p.type));
        return false;
      }
      p.setter = setter_name;
    }
    p.readonly = p.setter.empty();
    properties_.emplace_back(g, std::move(p));
    return true;
  }

  bool field_property(const clang::CXXRecordDecl* c, const clang::FieldDecl* f, const std::string& wire_name) {
    if (f->getAccess() != clang::AS_public) {
      x_.error(f, fmt::format("property '{}' is not public", f->getNameAsString()));
      return false;
    }
    Property p;
    p.name = wire_name.empty() ? f->getNameAsString() : wire_name;
    if (!check_wire_name(f, p.name, {})) return false;
    auto t = x_.map_value(f->getType(), f->getLocation(), fmt::format("property '{}'", p.name));
    if (!t) return false;
    if (f->getType()->isReferenceType()) {
      x_.error(f, fmt::format("property '{}' is a reference member; roc properties are values", p.name));
      return false;
    }
    p.type = t->idl;
    p.cxx = t->cxx;
    p.readonly = f->getType().isConstQualified();
    p.member = f->getNameAsString();
    p.declared_in = declared_in(c);
    p.doc = x_.doc(f);
    p.location = x_.location(f->getLocation());
    properties_.emplace_back(f, std::move(p));
    return true;
  }


  Extractor& x_;
  clang::ASTContext& ctx_;
  const clang::CXXRecordDecl* object_;
  std::vector<const clang::CXXRecordDecl*> order_, post_order_;
  std::set<const clang::CXXRecordDecl*> contributing_;
  std::map<clang::DeclarationName, std::vector<const clang::CXXMethodDecl*>> annotated_;
  std::map<std::string, std::string> wire_names_;  // wire name → C++ name of the method using it
  std::vector<std::pair<const clang::NamedDecl*, Method>> methods_;
  std::vector<std::pair<const clang::NamedDecl*, Property>> properties_;
  bool ok_ = true;
};

}  // namespace

void Extractor::object(const clang::CXXRecordDecl* d) {
  if (d->isDependentContext()) {
    // Its members have no concrete types yet; a class deriving from a specialization exports them.
    warning(d->getLocation(), fmt::format("'{}' is a class template: it is exported only through annotated classes "
                                          "deriving from one of its specializations",
                                          d->getNameAsString()));
    return;
  }
  Object o;
  o.name = type_name(d);
  o.doc = doc(d);
  o.location = location(d->getLocation());
  ObjectScan scan(*this, ctx_, d);
  bool ok = scan.run(o);
  if (ok) out_.doc.objects.push_back(std::move(o));
}

namespace {

class Consumer : public clang::ASTConsumer {
 public:
  Consumer(ScanResult& out, std::string target) : out_(out), target_(std::move(target)) {}
  void HandleTranslationUnit(clang::ASTContext& ctx) override {
    // After a Clang error the AST may be partial; its errors were printed, so extract nothing.
    if (ctx.getDiagnostics().hasErrorOccurred()) {
      out_.compile_failed = true;
      return;
    }
    clang::SourceManager& sm = ctx.getSourceManager();
    const clang::FileEntry* target = nullptr;
    if (!target_.empty()) {
      auto file = sm.getFileManager().getFile(target_);
      if (!file || !sm.translateFile(*file).isValid()) {
        const clang::FileEntry* main = sm.getFileEntryForID(sm.getMainFileID());
        out_.errors.push_back(Diagnostic{Location{target_, 1, 1},
                                         fmt::format("the umbrella header '{}' does not include this header",
                                                     main != nullptr ? main->getName().str() : std::string{})});
        return;
      }
      target = *file;
    }
    Extractor(ctx, out_, target).run(ctx.getTranslationUnitDecl());
  }

 private:
  ScanResult& out_;
  std::string target_;
};

}  // namespace

std::unique_ptr<clang::ASTConsumer> make_extractor(ScanResult& out, const std::string& target) {
  return std::make_unique<Consumer>(out, target);
}

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

std::string Diagnostic::str() const {
  const char* kind = severity == Severity::warning ? "warning" : "error";
  if (location.line == 0) {
    return fmt::format("{}: {}: {}", location.file.empty() ? "roc-gen" : location.file, kind, message);
  }
  return fmt::format("{}:{}:{}: {}: {}", location.file, location.line, location.column, kind, message);
}

}  // namespace roc::gen
