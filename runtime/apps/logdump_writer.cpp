// roc-logdump's rotating JSON-lines writer (see logdump_writer.hpp).
#include "logdump_writer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

namespace roc::logdump {

namespace fs = std::filesystem;

RotatingWriter::RotatingWriter(fs::path dir, std::string prefix, std::uint64_t max_bytes, DayFn day)
    : dir_(std::move(dir)), prefix_(std::move(prefix)), max_bytes_(max_bytes), day_(std::move(day)) {
  fs::create_directories(dir_);
  const auto today = day_();
  // Resume after a restart: the highest index of today's files.
  int highest = 0;
  const auto stem = prefix_ + "-" + today + ".";
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0 || entry.path().extension() != ".jsonl") continue;
    try {
      highest = std::max(highest, std::stoi(name.substr(stem.size())));
    } catch (const std::exception&) {
    }
  }
  open(today, highest);
}

RotatingWriter::~RotatingWriter() {
  if (file_) std::fclose(file_);
}

void RotatingWriter::open(const std::string& day, int index) {
  if (file_) std::fclose(file_);
  file_ = nullptr;
  current_day_ = day;
  index_ = index;
  path_ = dir_ / fmt::format("{}-{}.{}.jsonl", prefix_, day, index);
  file_ = std::fopen(path_.c_str(), "ab");
  if (!file_) throw std::system_error(errno, std::generic_category(), "cannot open " + path_.string());
  std::error_code ec;
  size_ = fs::file_size(path_, ec);
  if (ec) size_ = 0;
}

void RotatingWriter::write(std::string_view line) {
  const auto day = day_();
  if (day != current_day_)
    open(day, 0);
  else if (size_ > 0 && size_ + line.size() + 1 > max_bytes_)
    open(day, index_ + 1);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
    throw std::system_error(errno, std::generic_category(), "cannot write " + path_.string());
  size_ += line.size() + 1;
}

void RotatingWriter::flush() {
  if (file_) std::fflush(file_);
}

std::string RotatingWriter::utc_day() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace roc::logdump
