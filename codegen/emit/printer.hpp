// A small indenting printer with named holes, and ordered sections of generated text.
// Modelled on grpc's Printer (`$var$` holes) and Cap'n Proto's StringTree sections.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace roc::gen {

/// Accumulates generated text. `print` replaces `$name$` holes with values and indents every
/// line it writes by the current level (two spaces per level); `$$` writes one `$`.
class Printer {
 public:
  using Vars = std::map<std::string, std::string, std::less<>>;

  /// Appends `text` after substituting holes. Every line written, including each line of a
  /// multi-line value, starts with the current indent; blank lines get none. Throws std::logic_error for a hole missing from `vars` (an emitter bug).
  void print(std::string_view text, const Vars& vars = {});
  /// Appends `text` as is: no holes, no indent after its newlines (for raw string literals,
  /// whose content must not change).
  void print_verbatim(std::string_view text);
  void indent() { ++level_; }
  void outdent();

  bool empty() const { return out_.empty(); }
  const std::string& str() const { return out_; }

 private:
  void put(char c);
  std::string out_;
  int level_ = 0;
  bool at_line_start_ = true;
};

/// Named sections joined in the order they were declared, with one blank line between non-empty
/// ones — so emitters can add includes or declarations in any order and the file stays ordered.
class Sections {
 public:
  explicit Sections(std::vector<std::string> order);
  /// The printer of section `name`. Throws std::logic_error for an undeclared section.
  Printer& operator[](std::string_view name);
  std::string str() const;

 private:
  std::vector<std::pair<std::string, Printer>> sections_;
};

/// `text` as C++ `///` comment lines at the printer's indent; nothing when empty.
void print_doc(Printer& p, std::string_view text);

/// `text` as the body of a C++ string literal (quotes, backslashes, control characters escaped).
std::string cxx_string_literal(std::string_view text);

}  // namespace roc::gen
