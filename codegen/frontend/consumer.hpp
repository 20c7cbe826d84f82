// Internal to the front end: what tool.cpp (running Clang) needs of scanner.cpp (reading the AST):
// the AST consumer that extracts the model, and the finishing step shared by both ways of running it.
#pragma once

#include "frontend/scanner.hpp"

#include <memory>

namespace clang {
class ASTConsumer;
}

namespace roc::gen::detail {

/// A consumer that fills `out` from the declarations in `target` (a path; empty: the main file).
std::unique_ptr<clang::ASTConsumer> make_extractor(ScanResult& out, const std::string& target = {});

/// After a successful parse: the "nothing annotated" error, semantic checks and signatures.
void finish_scan(ScanResult& result, const std::string& main_file);

}  // namespace roc::gen::detail
