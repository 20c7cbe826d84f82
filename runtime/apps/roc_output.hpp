// Output helpers shared by the `roc` command: exit codes, colour only on a terminal, the
// one-line rendering of a log record, and results with their bulk arrays summarized.
#pragma once

#include "log_levels.hpp"

#include <roc/client.hpp>
#include <roc/log_subscriber.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace roc::cli {

/// Exit codes scripts can rely on (documented in docs/observability.md and docs/security.md).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;       ///< anything else: protocol error, I/O error, a bug
inline constexpr int usage = 2;         ///< bad command line or bad JSON argument
inline constexpr int timeout = 3;       ///< no answer within --timeout
inline constexpr int not_found = 4;     ///< no such object (-32001)
inline constexpr int remote_error = 5;  ///< the object answered with an error
inline constexpr int unsupported = 6;   ///< the broker does not offer what the command needs (8/MMI 501)
inline constexpr int certificate = 7;   ///< a certificate file is missing or unusable; keygen would overwrite one
inline constexpr int nothing_to_save = 8;  ///< --save, but the result holds no array
inline constexpr int unreachable = 9;      ///< broker unreachable: refused, unknown host, connection lost
inline constexpr int interrupted = 130;    ///< Ctrl-C (SIGINT) during `call`: the call was cancelled (128 + 2)
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

// ---- results of `roc call` and `roc get` ----------------------------------------------------------

namespace roc::cli {

/// Arrays of more numbers than this are shown as a summary on a terminal.
inline constexpr std::size_t summary_threshold = 16;

/// A bulk array found in a result: an attachment, or a rectangular JSON array of numbers.
struct ResultArray {
  std::string where;                ///< its place in the result: `result`, `result.image`, `result[2].frame`
  std::string type;                 ///< IDL element type: int8 … uint64, float, double
  std::string order;                ///< byte order of `bytes`: "little" or "big"
  std::vector<std::size_t> shape;   ///< dimensions, outermost first, row-major elements
  std::string_view bytes;           ///< the elements, viewing the result or `storage`
  bool attachment = false;          ///< it came as an attachment (else as JSON numbers)
  std::shared_ptr<std::string> storage;  ///< holds the bytes of a JSON array
  std::size_t count() const;        ///< elements
};

/// The arrays in `result`, in document order. Throws std::runtime_error on an attachment
/// reference that does not fit its attachment (idl/PROTOCOL.md §3.3).
std::vector<ResultArray> find_arrays(const roc::RawResult& result);

/// `<uint16 array, shape [768, 1024], 1.5 MiB: 7, 8, 9, 10, 11, 12, ...>`.
std::string summarize(const ResultArray& array);

/// The result as text: pretty JSON, with `summaries` every attachment and every JSON array of more
/// than summary_threshold numbers shown by summarize() (dimmed with colour); without, plain JSON with
/// every element (compact when `compact`).
std::string format_result(const roc::RawResult& result, bool summaries, bool compact, const Palette& p);

/// `1.5 MiB`, `512 bytes`.
std::string human_size(std::size_t bytes);

/// A progress event as `roc call` shows it on stderr. As a `bar`, fitted into `width` columns for
/// a terminal line redrawn in place: `[#########           ]  45% frame 3 of 10`. Else one line
/// per event: `roc: progress  45% frame 3 of 10 {"mean":1021.5}` (data as compact JSON).
std::string format_progress(const roc::Progress& progress, bool bar, std::size_t width);

}  // namespace roc::cli
