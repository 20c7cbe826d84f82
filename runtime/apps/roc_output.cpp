// Output helpers of the `roc` command (see roc_output.hpp).
#include "roc_output.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <unistd.h>

namespace roc::cli {

Palette::Palette(bool enabled) {
  if (!enabled) return;
  reset = "\033[0m";
  dim = "\033[2m";
  bold = "\033[1m";
  red = "\033[31m";
  yellow = "\033[33m";
  green = "\033[32m";
  cyan = "\033[36m";
  magenta = "\033[35m";
}

std::string_view Palette::level(std::string_view name) const {
  switch (level_rank(name)) {
    case 0: return dim;
    case 1: return cyan;
    case 2: return green;
    case 3: return yellow;
    case 4: return red;
    case 5: return magenta;
    default: return reset;
  }
}

bool stdout_wants_colour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
}

namespace {

std::string_view member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  const auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace

std::string format_log_line(const rapidjson::Value& record, const Palette& p) {
  const auto level = member(record, "level");
  std::string where;
  const auto file = member(record, "file");
  if (!file.empty()) {
    const auto line = record.FindMember("line");
    const int n = line != record.MemberEnd() && line->value.IsInt() ? line->value.GetInt() : 0;
    const auto slash = file.rfind('/');
    where = fmt::format(" {}({}:{}){}", p.dim, slash == std::string_view::npos ? file : file.substr(slash + 1),
                        n, p.reset);
  }
  std::string upper(level);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fmt::format("{}{}{} {}{:<8}{} {}{}{} {}: {}{}", p.dim, member(record, "ts"), p.reset, p.level(level),
                     upper, p.reset, p.bold, member(record, "node"), p.reset, member(record, "logger"),
                     member(record, "msg"), where);
}

}  // namespace roc::cli
