// roc-gen's front end: reads an annotated header with Clang and returns the IDL model.
// This interface has no Clang types, so main.cpp and the tests need no Clang headers.
#pragma once

#include "model/idl.hpp"

#include <string>
#include <vector>

namespace roc::gen {
// The generator works on the IDL model (roc_idl) throughout.
using namespace ::roc::idl;
}  // namespace roc::gen

namespace roc::gen {

enum class Severity { error, warning };

/// One problem found in a header, reported like a compiler's `file:line:col: error: message`
/// (or `warning:`; a warning does not fail the run).
struct Diagnostic {
  Location location;
  std::string message;
  Severity severity = Severity::error;
  std::string str() const;
};

struct ScanResult {
  Document doc;
  /// roc's own errors (unsupported constructs), in source order.
  std::vector<Diagnostic> errors;
  /// What roc exports differently from the header (a default argument it cannot send, ...).
  std::vector<Diagnostic> warnings;
  /// True when Clang itself could not compile the header; its errors were printed to stderr.
  bool compile_failed = false;

  bool ok() const { return errors.empty() && !compile_failed; }
};

struct ScanOptions {
  /// A directory holding compile_commands.json; headers missing from it get the flags of the
  /// nearest source file (Clang's interpolation). Empty: use `args`.
  std::string build_dir;
  /// Compiler flags (`-std=c++17 -Iinclude ...`) used when `build_dir` is empty.
  std::vector<std::string> args;
  /// Flags added after the others in both cases (e.g. `-MMD -MF deps.d` for a depfile).
  std::vector<std::string> extra_args;
  /// A header to parse instead, which includes `header` (libraries whose headers compile only
  /// through their umbrella header); only declarations in `header` are exported.
  std::string umbrella;
};

/// Scans `header`. Only declarations in `header` itself become objects and codecs; annotated
/// structs and enums from other headers that it uses are listed with generated_elsewhere set.
/// Signatures are filled in. Does not throw for problems in the header: they are in the result.
ScanResult scan_file(const std::string& header, const ScanOptions& options);

/// Scans `code` as if it were a file named `file_name`, with compiler flags `args` (tests).
/// Any file name parses as C++ (`driver.h` too).
ScanResult scan_code(const std::string& code, const std::string& file_name,
                     const std::vector<std::string>& args = {"-std=c++17"});

}  // namespace roc::gen
