// Test tool: writes a header whose one ROC_OBJECT class has, as annotated methods, every
// non-template function of the C and C++ libraries and public member function of std's classes
// that a standard-library-heavy header declares
// (their C++ names, so overload sets stay overload sets, each under a wire name of its own).
// roc-gen is then run over it: whatever it cannot export must get a diagnostic, never a crash.
//
//   roc-gen-wrap-functions <header to scan> <output header> -- <compiler flags>
#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/DeclCXX.h>
#include <clang/AST/QualTypeNames.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Tooling/CompilationDatabase.h>
#include <clang/Tooling/Tooling.h>

#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

struct Wrapped {
  std::string name;
  std::string result;
  std::vector<std::string> params;
  bool is_const = false;
};

class Collector : public clang::RecursiveASTVisitor<Collector> {
 public:
  Collector(clang::ASTContext& ctx, std::vector<Wrapped>& out)
      : ctx_(ctx), policy_(ctx.getPrintingPolicy()), out_(out) {
    policy_.SuppressScope = false;
    policy_.FullyQualifiedName = true;
    policy_.SuppressUnwrittenScope = true;
  }

  bool VisitFunctionDecl(clang::FunctionDecl* f) {
    if (f->isTemplated() || f->isDeleted() || f->isVariadic() || f->isOverloadedOperator() ||
        !f->getDeclName().isIdentifier() || f->getName().startswith("_") ||
        !(in_std(f) || f->getDeclContext()->getRedeclContext()->isTranslationUnit())) {
      return true;
    }
    const auto* m = llvm::dyn_cast<clang::CXXMethodDecl>(f);
    if (m != nullptr) {
      if (m->getAccess() != clang::AS_public || m->isStatic() || llvm::isa<clang::CXXConstructorDecl>(m) ||
          llvm::isa<clang::CXXDestructorDecl>(m) || llvm::isa<clang::CXXConversionDecl>(m) ||
          m->getRefQualifier() != clang::RQ_None || !publicly_reachable(m->getParent())) {
        return true;
      }
    } else if (!f->getDeclContext()->getRedeclContext()->isFileContext()) {
      return true;  // friends and local declarations
    }
    clang::QualType result = f->getReturnType();
    if (result->isUndeducedAutoType() || result->getContainedAutoType() != nullptr) return true;
    Wrapped w;
    w.name = f->getNameAsString();
    w.result = spell(result);
    w.is_const = m != nullptr && m->isConst();
    for (const clang::ParmVarDecl* p : f->parameters()) w.params.push_back(spell(p->getType()));
    for (const std::string& t : w.params) {
      if (!printable(t)) return true;
    }
    if (!printable(w.result)) return true;
    // One declaration per name and parameter list: a class cannot redeclare a member.
    std::string key = w.name + "(";
    for (const auto& t : w.params) key += t + ",";
    if (seen_.insert(key + ")").second) out_.push_back(std::move(w));
    return true;
  }

 private:
  // Function pointer and array types cannot be followed by a name: they go through an alias.
  std::string spell(clang::QualType t) const {
    std::string text = clang::TypeName::getFullyQualifiedName(t, ctx_, policy_, /*WithGlobalNsPrefix=*/true);
    return text.find_first_of("([") == std::string::npos ? text : "stress::as_is<" + text + ">";
  }

  // Types that cannot be named from outside (lambdas, unnamed structs) or belong to the
  // implementation (reserved names, which may be private) would make the wrapper itself invalid.
  static bool printable(const std::string& t) {
    return t.find("(anonymous") == std::string::npos && t.find("(unnamed") == std::string::npos &&
           t.find("(lambda") == std::string::npos && t.find("__va_list_tag") == std::string::npos &&
           t.find("decltype") == std::string::npos && t.find("type-parameter") == std::string::npos;
  }

  static bool in_std(const clang::Decl* d) {
    for (const clang::DeclContext* c = d->getDeclContext(); c != nullptr; c = c->getParent()) {
      if (c->isStdNamespace()) return true;
    }
    return false;
  }

  static bool publicly_reachable(const clang::CXXRecordDecl* r) {
    for (const clang::DeclContext* c = r; c != nullptr; c = c->getParent()) {
      const auto* rd = llvm::dyn_cast<clang::CXXRecordDecl>(c);
      if (rd == nullptr) continue;
      if (rd->getName().empty() || rd->getName().startswith("_") || rd->isLambda() ||
          llvm::isa<clang::ClassTemplatePartialSpecializationDecl>(rd) || rd->getDescribedClassTemplate() != nullptr ||
          (rd->getParent()->isRecord() && rd->getAccess() != clang::AS_public)) {
        return false;
      }
    }
    return true;
  }

  clang::ASTContext& ctx_;
  clang::PrintingPolicy policy_;
  std::vector<Wrapped>& out_;
  std::set<std::string> seen_;
};

class Action : public clang::ASTFrontendAction {
 public:
  explicit Action(std::vector<Wrapped>& out) : out_(out) {}
  bool BeginInvocation(clang::CompilerInstance& ci) override {
    ci.getFrontendOpts().SkipFunctionBodies = true;
    return true;
  }
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&, llvm::StringRef) override {
    struct Consumer : clang::ASTConsumer {
      explicit Consumer(std::vector<Wrapped>& out) : out(out) {}
      void HandleTranslationUnit(clang::ASTContext& ctx) override {
        Collector(ctx, out).TraverseDecl(ctx.getTranslationUnitDecl());
      }
      std::vector<Wrapped>& out;
    };
    return std::make_unique<Consumer>(out_);
  }

 private:
  std::vector<Wrapped>& out_;
};

}  // namespace

int main(int argc, char** argv) {
  int separator = 1;
  while (separator < argc && std::string(argv[separator]) != "--") ++separator;
  if (separator != 3) {
    std::cerr << "usage: roc-gen-wrap-functions <header> <output> -- <compiler flags>\n";
    return 2;
  }
  std::string header = argv[1], output = argv[2];
  std::vector<std::string> flags(argv + separator + 1, argv + argc);
  flags.push_back("-resource-dir=" ROC_CLANG_RESOURCE_DIR);
  flags.push_back("-xc++-header");
  clang::tooling::FixedCompilationDatabase db(".", flags);
  clang::tooling::ClangTool tool(db, {header});
  std::vector<Wrapped> wrapped;
  struct Factory : clang::tooling::FrontendActionFactory {
    explicit Factory(std::vector<Wrapped>& out) : out(out) {}
    std::unique_ptr<clang::FrontendAction> create() override { return std::make_unique<Action>(out); }
    std::vector<Wrapped>& out;
  } factory(wrapped);
  if (tool.run(&factory) != 0) return 1;

  std::ofstream out(output);
  out << "// Generated by roc-gen-wrap-functions from " << header << ": every function, wrapped.\n"
      << "#pragma once\n#include <roc/annotate.hpp>\n#include \"" << header << "\"\n\n"
      << "namespace stress {\n\ntemplate <class T>\nusing as_is = T;\n\n"
      << "class ROC_OBJECT Everything {\n public:\n";
  std::size_t index = 0;
  for (const Wrapped& w : wrapped) {
    out << "  ROC_METHOD_AS(\"w" << index++ << "\") " << w.result << ' ' << w.name << '(';
    for (std::size_t i = 0; i < w.params.size(); ++i) out << (i ? ", " : "") << w.params[i] << " p" << i;
    out << ')' << (w.is_const ? " const" : "") << ";\n";
  }
  out << "};\n\n}  // namespace stress\n";
  std::cout << wrapped.size() << " functions wrapped\n";
  return out ? 0 : 1;
}
