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

std::string_view Palette::level(spdlog::level::level_enum level) const {
  switch (level) {
    case spdlog::level::trace: return dim;
    case spdlog::level::debug: return cyan;
    case spdlog::level::info: return green;
    case spdlog::level::warn: return yellow;
    case spdlog::level::err: return red;
    case spdlog::level::critical: return magenta;
    default: return reset;
  }
}

bool stdout_wants_colour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
}

std::string format_log_line(const roc::log::Record& record, const Palette& p) {
  std::string where;
  if (record.file && !record.file->empty()) {
    const std::string_view file = *record.file;
    const auto slash = file.rfind('/');
    where = fmt::format(" {}({}:{}){}", p.dim, slash == std::string_view::npos ? file : file.substr(slash + 1),
                        record.line, p.reset);
  }
  const auto name = spdlog::level::to_string_view(record.level);
  std::string upper(name.data(), name.size());
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fmt::format("{}{}{} {}{:<8}{} {}{}{} {}: {}{}", p.dim, record.ts, p.reset, p.level(record.level), upper,
                     p.reset, p.bold, record.node, p.reset, record.logger, record.msg, where);
}

}  // namespace roc::cli
