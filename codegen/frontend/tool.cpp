// Runs Clang on a header with the compile flags of its target (a compilation database or explicit
// flags), adjusted so that the annotations are visible and GCC-only flags do not break the parse.
#include "frontend/consumer.hpp"

#include <clang/AST/ASTConsumer.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Tooling/ArgumentsAdjusters.h>
#include <clang/Tooling/CompilationDatabase.h>
#include <clang/Tooling/Tooling.h>
#include <fmt/format.h>

#include <memory>

namespace roc::gen {
namespace {

class ExtractAction : public clang::ASTFrontendAction {
 public:
  explicit ExtractAction(ScanResult& out, std::string target = {}) : out_(out), target_(std::move(target)) {}
  // Declarations are all the scanner reads: skipping the bodies of inline functions (the user's
  // and the standard library's) makes the parse markedly faster. Clang still parses bodies it
  // needs, such as those of functions with deduced return types.
  bool BeginInvocation(clang::CompilerInstance& ci) override {
    ci.getFrontendOpts().SkipFunctionBodies = true;
    return true;
  }
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&, llvm::StringRef) override {
    return detail::make_extractor(out_, target_);
  }

 private:
  ScanResult& out_;
  std::string target_;
};

class ExtractFactory : public clang::tooling::FrontendActionFactory {
 public:
  ExtractFactory(ScanResult& out, std::string target) : out_(out), target_(std::move(target)) {}
  std::unique_ptr<clang::FrontendAction> create() override { return std::make_unique<ExtractAction>(out_, target_); }

 private:
  ScanResult& out_;
  std::string target_;
};

/// GCC accepts these and Clang 14 rejects them ("unknown argument"), sometimes without failing
/// the run: drop them. Sanitizer flags only slow the parse down.
bool gcc_only(llvm::StringRef arg) {
  return arg == "-fcoroutines" || arg.startswith("-fconcepts-diagnostics-depth") ||
         arg == "-fno-canonical-system-headers" || arg == "-fno-semantic-interposition" ||
         arg.startswith("-fsanitize") || arg.startswith("-fno-sanitize");
}

/// The adjustments every scan needs, whatever the source of the flags.
clang::tooling::ArgumentsAdjuster roc_adjuster() {
  using namespace clang::tooling;
  ArgumentsAdjuster strip = [](const CommandLineArguments& args, llvm::StringRef) {
    CommandLineArguments out;
    for (const auto& a : args) {
      if (!gcc_only(a)) out.push_back(a);
    }
    return out;
  };
  // Headers are C++ whatever their extension: a `.h` would otherwise parse as C ("invalid argument
  // '-std=c++17' not allowed with 'C'"). A language the database names (`-x c`) is replaced.
  ArgumentsAdjuster language = [](const CommandLineArguments& args, llvm::StringRef) {
    CommandLineArguments out;
    for (std::size_t i = 0; i < args.size(); ++i) {
      llvm::StringRef a = args[i];
      if (a == "-x") {
        ++i;  // and its value
        continue;
      }
      if (a.startswith("-x") && a.size() > 2) continue;  // -xc, -xc++, ...
      out.push_back(args[i]);
    }
    if (!out.empty()) out.insert(out.begin() + 1, {"-x", "c++-header"});
    return out;
  };
  ArgumentsAdjuster resource_dir = [](const CommandLineArguments& args, llvm::StringRef) {
    for (const auto& a : args) {
      if (llvm::StringRef(a).startswith("-resource-dir")) return args;
    }
    CommandLineArguments out = args;
    // Clang's builtin headers (stddef.h, ...) live in its resource directory.
    out.insert(out.begin() + 1, "-resource-dir=" ROC_CLANG_RESOURCE_DIR);
    return out;
  };
  // ROC_CODEGEN turns the ROC_* macros into annotate attributes; -w because the build proper will
  // show the header's warnings, and the generator should speak only about what it cannot export.
  ArgumentsAdjuster defines = getInsertArgumentAdjuster({"-DROC_CODEGEN=1", "-w"}, ArgumentInsertPosition::END);
  return combineAdjusters(strip, combineAdjusters(language, combineAdjusters(resource_dir, combineAdjusters(defines, getClangSyntaxOnlyAdjuster()))));
}

}  // namespace

ScanResult scan_file(const std::string& header, const ScanOptions& options) {
  ScanResult result;
  std::unique_ptr<clang::tooling::CompilationDatabase> db;
  if (!options.build_dir.empty()) {
    std::string why;
    db = clang::tooling::CompilationDatabase::loadFromDirectory(options.build_dir, why);
    if (db == nullptr) {
      result.errors.push_back(Diagnostic{Location{options.build_dir, 0, 0},
                                         fmt::format("cannot load compile_commands.json: {}", why)});
      return result;
    }
    // Headers are not in the database: borrow the flags of the closest source file.
    db = clang::tooling::inferMissingCompileCommands(std::move(db));
  } else {
    db = std::make_unique<clang::tooling::FixedCompilationDatabase>(".", options.args);
  }
  // With an umbrella, Clang parses the umbrella and the extractor keeps the header's declarations.
  const std::string& parsed = options.umbrella.empty() ? header : options.umbrella;
  clang::tooling::ClangTool tool(*db, {parsed});
  tool.clearArgumentsAdjusters();
  tool.appendArgumentsAdjuster(roc_adjuster());
  if (!options.extra_args.empty()) {
    tool.appendArgumentsAdjuster(clang::tooling::getInsertArgumentAdjuster(
        options.extra_args, clang::tooling::ArgumentInsertPosition::END));
  }
  ExtractFactory factory(result, options.umbrella.empty() ? std::string{} : header);
  int status = tool.run(&factory);
  if (status != 0) result.compile_failed = true;  // Clang's errors are already on stderr
  detail::finish_scan(result, header);
  return result;
}

ScanResult scan_code(const std::string& code, const std::string& file_name, const std::vector<std::string>& args) {
  ScanResult result;
  std::vector<std::string> adjusted = roc_adjuster()([&] {
    std::vector<std::string> a{"clang-tool"};
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }(), file_name);
  adjusted.erase(adjusted.begin());  // runToolOnCodeWithArgs adds the tool name and the file itself
  bool ok = clang::tooling::runToolOnCodeWithArgs(std::make_unique<ExtractAction>(result), code, adjusted, file_name);
  if (!ok) result.compile_failed = true;
  detail::finish_scan(result, file_name);
  return result;
}

}  // namespace roc::gen
