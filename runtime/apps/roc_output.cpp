// Output helpers of the `roc` command (see roc_output.hpp).
#include "roc_output.hpp"

#include "npy_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
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

// ---- results --------------------------------------------------------------------------------------

namespace {

using roc::json::Value;

/// How many values a summary shows.
constexpr std::size_t shown_values = 6;

const char* native_order() {
  const std::uint16_t probe = 1;
  std::uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1 ? "little" : "big";
}

/// `.name` when it reads as an identifier, else `["name"]`, as a path into the result.
std::string member_path(const std::string& where, std::string_view name) {
  const bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                     });
  if (plain) return fmt::format("{}.{}", where, name);
  return fmt::format("{}[{}]", where, roc::json::to_string(Value(rapidjson::StringRef(name.data(), name.size()))));
}

/// The attachment a reference names, checked against its frame by the runtime.
ResultArray read_reference(const Value& in, const roc::RawResult& result, const std::string& where) {
  try {
    auto array = result.array(in);
    ResultArray a;
    a.where = where;
    a.attachment = true;
    a.type = std::move(array.type);
    a.order = std::move(array.order);
    a.shape = std::move(array.shape);
    a.bytes = array.bytes;
    return a;
  } catch (const roc::json::DecodeError& error) {
    throw std::runtime_error(fmt::format("the result holds at {} an attachment reference that does not fit: {}",
                                         where, error.found()));
  }
}

/// The shape of `v` when it is a rectangular array of numbers, nested for more dimensions.
std::optional<std::vector<std::size_t>> numeric_shape(const Value& v) {
  std::vector<std::size_t> shape;
  const Value* at = &v;
  while (at->IsArray()) {
    shape.push_back(at->Size());
    if (at->Empty()) break;
    at = &(*at)[0];
  }
  if (shape.empty()) return std::nullopt;
  // Every array at depth d has shape[d] elements, and the innermost hold numbers only.
  std::vector<std::pair<const Value*, std::size_t>> pending{{&v, 0}};
  while (!pending.empty()) {
    auto [value, depth] = pending.back();
    pending.pop_back();
    if (depth == shape.size()) {
      if (!value->IsNumber()) return std::nullopt;
      continue;
    }
    if (!value->IsArray() || value->Size() != shape[depth]) return std::nullopt;
    for (const auto& element : value->GetArray()) pending.emplace_back(&element, depth + 1);
  }
  return shape;
}

/// A JSON array of numbers as bytes: int64 when every number is one, else uint64, else double.
ResultArray json_array(const Value& v, std::vector<std::size_t> shape, const std::string& where) {
  std::vector<const Value*> leaves;
  std::vector<const Value*> pending{&v};
  while (!pending.empty()) {  // in row-major order: children pushed last-first
    const Value* at = pending.back();
    pending.pop_back();
    if (at->IsArray()) {
      for (auto i = at->Size(); i-- > 0;) pending.push_back(&(*at)[i]);
    } else {
      leaves.push_back(at);
    }
  }
  ResultArray a;
  a.where = where;
  a.order = native_order();
  a.shape = std::move(shape);
  const bool all_int64 = !leaves.empty() && std::all_of(leaves.begin(), leaves.end(), [](auto* l) { return l->IsInt64(); });
  const bool all_uint64 =
      !leaves.empty() && std::all_of(leaves.begin(), leaves.end(), [](auto* l) { return l->IsUint64(); });
  a.type = all_int64 ? "int64" : all_uint64 ? "uint64" : "double";
  a.storage = std::make_shared<std::string>(leaves.size() * 8, '\0');
  char* out = a.storage->data();
  for (const auto* leaf : leaves) {
    if (all_int64) {
      const std::int64_t x = leaf->GetInt64();
      std::memcpy(out, &x, 8);
    } else if (all_uint64) {
      const std::uint64_t x = leaf->GetUint64();
      std::memcpy(out, &x, 8);
    } else {
      const double x = leaf->GetDouble();
      std::memcpy(out, &x, 8);
    }
    out += 8;
  }
  a.bytes = *a.storage;
  return a;
}

/// The array `v` is, if it is one of those find_arrays() reports.
std::optional<ResultArray> as_array(const Value& v, const roc::RawResult& result, const std::string& where) {
  if (v.IsObject() && v.HasMember("$attachment")) return read_reference(v, result, where);
  if (!v.IsArray()) return std::nullopt;
  if (auto shape = numeric_shape(v)) return json_array(v, std::move(*shape), where);
  return std::nullopt;
}

void collect(const Value& v, const roc::RawResult& result, const std::string& where, std::vector<ResultArray>& out) {
  if (auto a = as_array(v, result, where)) {
    out.push_back(std::move(*a));
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject())
      collect(m.value, result, member_path(where, {m.name.GetString(), m.name.GetStringLength()}), out);
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) collect(v[i], result, fmt::format("{}[{}]", where, i), out);
  }
}

template <class T>
std::string element_text(const char* at, bool swap) {
  char raw[sizeof(T)];
  std::memcpy(raw, at, sizeof raw);
  if (swap) std::reverse(raw, raw + sizeof raw);
  T value;
  std::memcpy(&value, raw, sizeof value);
  if constexpr (sizeof(T) == 1)
    return fmt::format("{}", static_cast<int>(value));  // a number, not a character
  else
    return fmt::format("{}", value);
}

std::string element_text(const ResultArray& a, std::size_t i) {
  const auto size = element_size(a.type);
  const char* at = a.bytes.data() + i * size;
  const bool swap = size > 1 && a.order != native_order();
  if (a.type == "int8") return element_text<std::int8_t>(at, swap);
  if (a.type == "uint8") return element_text<std::uint8_t>(at, swap);
  if (a.type == "int16") return element_text<std::int16_t>(at, swap);
  if (a.type == "uint16") return element_text<std::uint16_t>(at, swap);
  if (a.type == "int32") return element_text<std::int32_t>(at, swap);
  if (a.type == "uint32") return element_text<std::uint32_t>(at, swap);
  if (a.type == "int64") return element_text<std::int64_t>(at, swap);
  if (a.type == "uint64") return element_text<std::uint64_t>(at, swap);
  if (a.type == "float") return element_text<float>(at, swap);
  return element_text<double>(at, swap);
}

// Like Json::pretty(): infinity and NaN are written as the strings the codecs use.
template <class Base>
class TextWriter : public Base {
 public:
  using Base::Base;
  bool Double(double d) {
    if (const char* name = roc::json::detail::non_finite_name(d)) return Base::String(name);
    return Base::Double(d);
  }
};
using PrettyWriter = TextWriter<rapidjson::PrettyWriter<rapidjson::StringBuffer>>;

void write_summarized(const Value& v, const roc::RawResult& result, const std::string& where, PrettyWriter& w,
                      const Palette& p) {
  if (auto a = as_array(v, result, where); a && (a->attachment || a->count() > summary_threshold)) {
    const auto text = fmt::format("{}{}{}", p.dim, summarize(*a), p.reset);
    w.RawValue(text.data(), text.size(), rapidjson::kStringType);
  } else if (v.IsObject()) {
    w.StartObject();
    for (const auto& m : v.GetObject()) {
      w.Key(m.name.GetString(), m.name.GetStringLength());
      write_summarized(m.value, result, member_path(where, {m.name.GetString(), m.name.GetStringLength()}), w, p);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
      write_summarized(v[i], result, fmt::format("{}[{}]", where, i), w, p);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

}  // namespace

std::size_t ResultArray::count() const {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::vector<ResultArray> find_arrays(const roc::RawResult& result) {
  std::vector<ResultArray> out;
  collect(result.json().value(), result, "result", out);
  return out;
}

std::string human_size(std::size_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double size = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (size >= 1024 && unit + 1 < std::size(units)) {
    size /= 1024;
    ++unit;
  }
  return fmt::format("{:.4g} {}", size, units[unit]);
}

std::string summarize(const ResultArray& a) {
  std::string values;
  const auto n = a.count();
  for (std::size_t i = 0; i < std::min(n, shown_values); ++i) values += fmt::format("{}{}", i ? ", " : "", element_text(a, i));
  if (n > shown_values) values += ", ...";
  const auto size = a.attachment ? human_size(a.bytes.size()) : fmt::format("{} numbers in JSON", n);
  return fmt::format("<{} array, shape [{}], {}{}{}>", a.type, fmt::join(a.shape, ", "), size, n ? ": " : "", values);
}

std::string format_result(const roc::RawResult& result, bool summaries, bool compact, const Palette& p) {
  if (!summaries) {
    const auto plain = result.plain();
    return compact ? plain.dump() : plain.pretty();
  }
  rapidjson::StringBuffer buffer;
  PrettyWriter writer(buffer);
  writer.SetIndent(' ', 2);
  write_summarized(result.json().value(), result, "result", writer, p);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string format_progress(const roc::Progress& progress, bool bar, std::size_t width) {
  std::string percent;
  std::optional<double> fraction;
  if (progress.fraction) {
    fraction = std::clamp(*progress.fraction, 0.0, 1.0);  // a method's rounding must not break the bar
    percent = fmt::format("{:3.0f}%", *fraction * 100);
  }
  std::string text = percent;
  auto append = [&](std::string_view part) {
    if (part.empty()) return;
    if (!text.empty()) text += ' ';
    text += part;
  };
  append(progress.message);
  if (!bar) {
    if (!progress.data.value().IsNull()) append(progress.data.dump());
    return "roc: progress " + text;
  }
  constexpr std::size_t bar_cells = 20;
  if (fraction) {
    const auto done = static_cast<std::size_t>(*fraction * bar_cells + 0.5);
    text = "[" + std::string(done, '#') + std::string(bar_cells - done, ' ') + "] " + text;
  }
  // A line longer than the terminal wraps, and `\r` then redraws only its last part.
  if (width > 0 && text.size() >= width) {
    text.resize(width - 1);
    // Whole characters only: drop the last UTF-8 sequence when the cut left it incomplete.
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    std::size_t lead = text.size();
    while (lead > 0 && (byte(lead - 1) & 0xC0) == 0x80) --lead;
    if (lead > 0 && byte(lead - 1) >= 0xC0) {
      --lead;
      const std::size_t length = byte(lead) >= 0xF0 ? 4 : byte(lead) >= 0xE0 ? 3 : 2;
      if (text.size() - lead < length) text.resize(lead);
    }
  }
  return text;
}

}  // namespace roc::cli
