// Log level names as records carry them (spdlog's), ranked for filtering by roc and roc-logdump.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

/// The rank of a level name — trace 0 … critical 5, off 6, with spdlog's short forms (`warn`,
/// `err`) too — or -1 for a name that is not a level.
inline int level_rank(std::string_view name) {
  const auto level = spdlog::level::from_str(std::string(name));
  if (level == spdlog::level::off && name != "off") return -1;
  return static_cast<int>(level);
}
