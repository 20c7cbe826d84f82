// Output helpers shared by the `roc` command: exit codes, colour only on a terminal, and the
// one-line rendering of a log record.
#pragma once

#include "log_levels.hpp"

#include <roc/log_subscriber.hpp>

#include <string>
#include <string_view>

namespace roc::cli {

/// Exit codes scripts can rely on (documented in docs/observability.md and docs/security.md).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;       ///< anything else: protocol error, I/O error, a bug
inline constexpr int usage = 2;         ///< bad command line or bad JSON argument
inline constexpr int timeout = 3;       ///< no answer within --timeout, or nothing accepts connections
inline constexpr int not_found = 4;     ///< no such object (-32001)
inline constexpr int remote_error = 5;  ///< the object answered with an error
inline constexpr int unsupported = 6;   ///< the broker does not offer what the command needs (8/MMI 501)
inline constexpr int certificate = 7;   ///< a certificate file is missing or unusable; keygen would overwrite one
}  // namespace exit_code

/// ANSI colours, or empty strings when stdout is not a terminal (or NO_COLOR is set).
struct Palette {
  explicit Palette(bool enabled);
  std::string_view reset, dim, bold, red, yellow, green, cyan, magenta;
  /// The colour of a level.
  std::string_view level(spdlog::level::level_enum level) const;
};

/// Whether stdout is a terminal and NO_COLOR is unset.
bool stdout_wants_colour();

/// `2024-05-01T12:00:00.123456Z INFO     node logger: message (file:line)`.
std::string format_log_line(const roc::log::Record& record, const Palette& p);

}  // namespace roc::cli
