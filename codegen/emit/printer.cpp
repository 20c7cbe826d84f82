// Printer and Sections (see printer.hpp).
#include "emit/printer.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace roc::gen {

void Printer::outdent() {
  if (level_ == 0) throw std::logic_error("Printer::outdent below level 0");
  --level_;
}

void Printer::put(char c) {
  if (c == '\n') {
    out_ += '\n';
    at_line_start_ = true;
    return;
  }
  if (at_line_start_) {
    out_.append(static_cast<std::size_t>(level_) * 2, ' ');
    at_line_start_ = false;
  }
  out_ += c;
}

void Printer::print(std::string_view text, const Vars& vars) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      put(text[i]);
      continue;
    }
    std::size_t end = text.find('$', i + 1);
    if (end == std::string_view::npos) throw std::logic_error("Printer: unterminated $hole$");
    std::string_view name = text.substr(i + 1, end - i - 1);
    i = end;
    if (name.empty()) {
      put('$');
      continue;
    }
    auto it = vars.find(name);
    if (it == vars.end()) throw std::logic_error(fmt::format("Printer: no value for ${}$", name));
    for (char v : it->second) put(v);  // each line of a multi-line value gets the current indent
  }
}

void Printer::print_verbatim(std::string_view text) {
  if (text.empty()) return;
  put(text.front());  // indents when at line start
  out_.append(text.substr(1));
  at_line_start_ = out_.back() == '\n';
}

Sections::Sections(std::vector<std::string> order) {
  for (auto& name : order) sections_.emplace_back(std::move(name), Printer{});
}

Printer& Sections::operator[](std::string_view name) {
  for (auto& [n, p] : sections_) {
    if (n == name) return p;
  }
  throw std::logic_error(fmt::format("Sections: no section '{}'", name));
}

std::string Sections::str() const {
  std::string out;
  for (const auto& [name, p] : sections_) {
    if (p.empty()) continue;
    if (!out.empty()) out += '\n';
    out += p.str();
    if (out.back() != '\n') out += '\n';
  }
  return out;
}

void print_doc(Printer& p, std::string_view text) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    p.print(line.empty() ? "///\n" : "/// $l$\n", {{"l", std::string(line)}});
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string cxx_string_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          // Three octal digits: unlike \x, an octal escape never swallows a following digit.
          out += fmt::format("\\{:03o}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace roc::gen
