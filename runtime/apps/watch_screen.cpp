// The `--watch` screen (see watch_screen.hpp).
#include "watch_screen.hpp"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace roc::cli {
namespace {

// Alternate screen on, cursor hidden, no autowrap (a line the width count got wrong must not push
// the rows below it down); and the reverse, written as one piece from the signal handler too.
constexpr char enter_sequence[] = "\033[?1049h\033[?25l\033[?7l\033[H\033[2J";
constexpr char leave_sequence[] = "\033[?7h\033[?25h\033[?1049l";

volatile std::sig_atomic_t window_changed = 0;
volatile std::sig_atomic_t active = 0;
struct sigaction previous_int {}, previous_term {}, previous_winch {};

void write_all(const char* text, std::size_t size) {
  while (size > 0) {
    const auto n = ::write(STDOUT_FILENO, text, size);
    if (n <= 0) return;  // nothing more can be done about a terminal that takes nothing
    text += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Async-signal-safe: write(), sigaction() and raise() only.
extern "C" void on_winch(int) { window_changed = 1; }
extern "C" void on_stop(int signal) {
  if (active) write_all(leave_sequence, sizeof leave_sequence - 1);
  active = 0;
  ::sigaction(signal, signal == SIGINT ? &previous_int : &previous_term, nullptr);
  ::raise(signal);  // ends the program as the signal would have (exit status 130 or 143 in a shell)
}

void window_size(std::size_t& rows, std::size_t& columns) {
  winsize size{};
  const bool known = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0;
  rows = known ? size.ws_row : 24;
  columns = known ? size.ws_col : 80;
}

bool utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

/// `line` cut to `columns` visible characters; colour is reset after a cut line that used any.
std::string cut(const std::string& line, std::size_t columns) {
  std::size_t visible = 0;
  bool escapes = false;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == '\033' && i + 1 < line.size() && line[i + 1] == '[') {  // CSI: ESC [ params final-byte
      escapes = true;
      i += 2;
      while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7E)) ++i;
      ++i;
      continue;
    }
    if (visible == columns) return line.substr(0, i) + (escapes ? "\033[0m" : "");
    ++visible;
    ++i;
    while (i < line.size() && utf8_continuation(line[i])) ++i;
  }
  return line;
}

}  // namespace

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> fit_to_window(const std::vector<std::string>& lines, std::size_t rows, std::size_t columns) {
  std::vector<std::string> fitted;
  if (rows == 0) return fitted;
  const bool clipped = lines.size() > rows;
  const std::size_t shown = clipped ? rows - 1 : lines.size();
  for (std::size_t i = 0; i < shown; ++i) fitted.push_back(cut(lines[i], columns));
  if (clipped) {
    const auto hidden = lines.size() - shown;
    fitted.push_back(cut(fmt::format("… {} more line{}", hidden, hidden == 1 ? "" : "s"), columns));
  }
  return fitted;
}

WatchScreen::WatchScreen() {
  if (active) throw std::logic_error("one WatchScreen at a time");
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  action.sa_handler = on_stop;
  ::sigaction(SIGINT, &action, &previous_int);
  ::sigaction(SIGTERM, &action, &previous_term);
  action.sa_handler = on_winch;
  ::sigaction(SIGWINCH, &action, &previous_winch);
  active = 1;
  write_all(enter_sequence, sizeof enter_sequence - 1);
}

WatchScreen::~WatchScreen() {
  if (active) write_all(leave_sequence, sizeof leave_sequence - 1);
  active = 0;
  ::sigaction(SIGINT, &previous_int, nullptr);
  ::sigaction(SIGTERM, &previous_term, nullptr);
  ::sigaction(SIGWINCH, &previous_winch, nullptr);
}

bool WatchScreen::resized() const { return window_changed != 0; }

void WatchScreen::show(const std::vector<std::string>& lines) {
  std::size_t rows = 0, columns = 0;
  window_size(rows, columns);
  std::string out;
  if (window_changed || rows != rows_ || columns != columns_) {
    window_changed = 0;
    rows_ = rows;
    columns_ = columns;
    on_screen_.clear();
    out += "\033[H\033[2J";
  }
  const auto fitted = fit_to_window(lines, rows_, columns_);
  for (std::size_t row = 0; row < std::max(fitted.size(), on_screen_.size()); ++row) {
    const bool was = row < on_screen_.size(), is = row < fitted.size();
    if (was && is && on_screen_[row] == fitted[row]) continue;
    // Each changed row from its first column, and the rest of the row cleared: never a newline,
    // so the window never scrolls.
    out += fmt::format("\033[{};1H{}\033[K", row + 1, is ? fitted[row] : std::string{});
  }
  on_screen_ = fitted;
  if (!out.empty()) write_all(out.data(), out.size());
}

}  // namespace roc::cli
