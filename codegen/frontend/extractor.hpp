// Internal to the front end: the AST → IDL model extractor, shared by its two halves
// (types.cpp: C++ types → IDL types, named types and default arguments; scanner.cpp: objects,
// the members a class exposes under C++ name hiding, and the AST consumer).
#pragma once

#include "frontend/scanner.hpp"

#include <clang/AST/ASTContext.h>
#include <clang/AST/Decl.h>
#include <clang/AST/DeclCXX.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/SourceManager.h>

#include <functional>
#include <optional>
#include <set>
#include <string>

namespace roc::gen::detail {

// Annotation texts written by roc/annotate.hpp.
inline constexpr llvm::StringLiteral object_tag = "roc::object";
inline constexpr llvm::StringLiteral method_tag = "roc::method";
inline constexpr llvm::StringLiteral property_tag = "roc::property";
inline constexpr llvm::StringLiteral struct_tag = "roc::struct";
inline constexpr llvm::StringLiteral enum_tag = "roc::enum";

/// The annotation `tag` or `tag=name` on `d`: nullopt when absent, "" for the plain form, else name.
std::optional<std::string> annotation(const clang::Decl* d, llvm::StringRef tag);

struct Mapped {
  std::string idl;
  std::string cxx;
};

/// What a value slot is, for the few types allowed only in some slots.
enum class Slot { value, parameter, result };

class Extractor {
 public:
  /// `target` is the header whose declarations are exported; null: the main file.
  Extractor(clang::ASTContext& ctx, ScanResult& out, const clang::FileEntry* target)
      : ctx_(ctx), sm_(ctx.getSourceManager()), out_(out), target_(target) {}

  void run(clang::TranslationUnitDecl* tu);

  // ---- shared helpers (scanner.cpp) ----
  bool in_target(const clang::Decl* d) const;
  Location location(clang::SourceLocation loc) const;
  void error(const clang::Decl* d, std::string message) { error(d->getLocation(), std::move(message)); }
  void error(clang::SourceLocation loc, std::string message);
  void warning(clang::SourceLocation loc, std::string message);
  std::string doc(const clang::Decl* d) const;
  /// Runs `f` guarded by a crash recovery context: a crash in Clang or in roc's code while reading
  /// `d` becomes an internal error at `d` instead of a signal.
  void guarded(const clang::Decl* d, const std::function<void()>& f);

  // ---- types (types.cpp) ----
  /// The fully qualified C++ spelling of `t` for generated code (`std::vector<lab::Mode>`).
  std::string cxx_spelling(clang::QualType t, bool global_prefix = false) const;
  /// A type as the user wrote it, for messages: `Opaque`, not `struct Opaque`.
  std::string written(clang::QualType t) const;
  /// The qualified name of a struct or enum, named after its typedef when anonymous (`name_t`).
  std::string type_name(const clang::TagDecl* d) const;
  /// The IDL type of a value slot. `where` and `what` locate and name the slot for errors
  /// ("parameter 'roi' of 'set_roi'"). nullopt after reporting an error.
  std::optional<Mapped> map_value(clang::QualType t, clang::SourceLocation where, const std::string& what,
                                  Slot slot = Slot::value);
  /// Fills `p.default_value` / `p.default_cxx` from the default argument of `parm`, if any;
  /// warns when there is one roc cannot send.
  void default_argument(const clang::ParmVarDecl* parm, clang::QualType value_type, const std::string& method,
                        Param& p);

 private:
  class Visitor;
  friend class Visitor;

  std::optional<std::string> map_idl(clang::QualType type, clang::SourceLocation where, const std::string& what);
  std::optional<std::string> map_record(clang::QualType t, const clang::CXXRecordDecl* r, clang::SourceLocation where,
                                        const std::string& what, clang::QualType written);
  bool has_adl_to_json(const clang::CXXRecordDecl* r) const;
  bool named_type(clang::QualType t, const clang::TagDecl* d);
  bool register_type(const clang::TagDecl* d, const std::string& name);
  std::optional<std::pair<std::string, std::string>> default_of(const clang::Expr* e, clang::QualType type,
                                                                const std::string& idl);

  // ---- objects (scanner.cpp) ----
  void object(const clang::CXXRecordDecl* d);

  clang::ASTContext& ctx_;
  const clang::SourceManager& sm_;
  ScanResult& out_;
  const clang::FileEntry* target_;
  std::set<std::string> done_, in_progress_, failed_;
};

}  // namespace roc::gen::detail
