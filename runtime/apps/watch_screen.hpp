// A list of lines kept on a terminal in place, for the `--watch` views: drawn in the terminal's
// alternate screen (so the scrollback does not grow and the shell's screen comes back as it was),
// only the lines that changed rewritten, clipped to the window with the top kept in view.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace roc::cli {

/// The lines that fit a window of `rows` × `columns`: each cut to `columns` visible characters
/// (ANSI colour sequences do not count and are closed when a line is cut), and when there are more
/// lines than rows, the first `rows - 1` and a last `… N more lines`.
std::vector<std::string> fit_to_window(const std::vector<std::string>& lines, std::size_t rows, std::size_t columns);

/// `text` split at its newlines (no empty last line for a trailing newline).
std::vector<std::string> split_lines(std::string_view text);

/// The terminal on stdout, switched to its alternate screen while this lives. One at a time.
///
/// On destruction, and on SIGINT or SIGTERM (which then end the program as they would have, after
/// the screen is restored), the normal screen and the cursor come back. SIGWINCH makes the next
/// show() redraw everything at the new size. Not thread-safe: one thread draws.
class WatchScreen {
 public:
  /// Switches stdout to the alternate screen. Use only when stdout is a terminal.
  WatchScreen();
  ~WatchScreen();
  WatchScreen(const WatchScreen&) = delete;
  WatchScreen& operator=(const WatchScreen&) = delete;

  /// Shows `lines` from the top of the window, fitted by fit_to_window(), rewriting only the rows
  /// whose text changed since the last call (all of them after a resize).
  void show(const std::vector<std::string>& lines);

  /// Whether the window was resized since the last show(): the caller should show() again.
  bool resized() const;

 private:
  std::vector<std::string> on_screen_;
  std::size_t rows_ = 0, columns_ = 0;
};

}  // namespace roc::cli
