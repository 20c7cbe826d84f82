// The --level option of roc and roc-logdump: spdlog's level names, as records carry them.
#pragma once

#include <spdlog/common.h>

#include <optional>
#include <string>
#include <string_view>

/// trace … critical, with spdlog's short forms (`warn`, `err`) too; none for anything else
/// (`off` included: a filter at `off` would show nothing).
inline std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  const auto level = spdlog::level::from_str(std::string(name));
  if (level == spdlog::level::off) return std::nullopt;
  return level;
}
