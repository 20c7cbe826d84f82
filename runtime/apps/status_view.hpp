// `roc status`'s text view: the merged tree as indented lines, stale parts flagged with their
// age, numbers at a sensible precision. Shared by the one-shot print and the --watch screen.
#pragma once

#include <roc/status.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace roc::cli {

struct StatusViewStyle {
  bool colour = false;  ///< dim stale lines with ANSI escapes
  /// The reader's clock: ages are now - emitted (the publisher's clock, docs/observability.md).
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

/// One line per member: `name: value` for a value, `name` and its members indented two spaces
/// below for an object, arrays inline. The first line of a stale part ends with
/// `(stale, last update 42 s ago)`; with colour, all of its lines are dimmed. No trailing
/// newlines; an empty tree is one line, "(empty)".
std::vector<std::string> status_lines(const StatusTree& tree, const StatusViewStyle& style);

/// A number as people read it: integers exact, others to 12 significant digits, so
/// 0.1 + 0.2 shows as 0.3 and 1764476117.25 keeps its fraction.
std::string format_number(const rapidjson::Value& number);

/// "42 s ago", "5 min ago", "3 h ago", "2 d ago"; "just now" within a second; an emit time
/// ahead of the reader's clock (skew) says so rather than showing a negative age.
std::string format_age(std::chrono::system_clock::duration age);

}  // namespace roc::cli
