// `roc status`'s text view (see status_view.hpp).
#include "status_view.hpp"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace roc::cli {
namespace {

constexpr std::string_view dim = "\033[2m", reset = "\033[0m";
constexpr std::size_t max_inline = 160;  // an array longer than this on one line is cut

std::string quoted(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

void inline_value(const rapidjson::Value& v, std::string& out) {
  if (v.IsNumber()) {
    out += format_number(v);
  } else if (v.IsString()) {
    out += quoted({v.GetString(), v.GetStringLength()});
  } else if (v.IsBool()) {
    out += v.GetBool() ? "true" : "false";
  } else if (v.IsNull()) {
    out += "null";
  } else if (v.IsArray()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.GetArray()) {
      if (!first) out += ", ";
      first = false;
      inline_value(e, out);
      if (out.size() > max_inline) return;
    }
    out += ']';
  } else {
    out += '{';
    bool first = true;
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      if (!first) out += ", ";
      first = false;
      out += quoted({m->name.GetString(), m->name.GetStringLength()});
      out += ": ";
      inline_value(m->value, out);
      if (out.size() > max_inline) return;
    }
    out += '}';
  }
}

std::string inline_text(const rapidjson::Value& v) {
  std::string out;
  inline_value(v, out);
  if (out.size() > max_inline) {
    out.resize(max_inline);
    out += v.IsArray() ? fmt::format("… ({} items)", v.Size()) : std::string("…");
  }
  return out;
}

struct Printer {
  const StatusTree& tree;
  const StatusViewStyle& style;
  std::vector<std::string> lines;

  void members(const rapidjson::Value& object, const std::string& path, int depth, const StatusSource* above) {
    for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
      const std::string name(m->name.GetString(), m->name.GetStringLength());
      const auto child = path.empty() ? name : path + "." + name;
      const StatusSource* source = tree.source(child);
      const bool stale = source != nullptr && source->stale;
      std::string line(static_cast<std::size_t>(depth) * 2, ' ');
      line += name;
      const bool nested = m->value.IsObject() && m->value.MemberCount() > 0;
      if (!nested) line += ": " + inline_text(m->value);
      // Flagged where the stale part starts; its members are dimmed without repeating it.
      if (stale && source != above)
        line += fmt::format("  (stale, last update {})", format_age(style.now - source->emitted));
      if (stale && style.colour) line = std::string(dim) + line + std::string(reset);
      lines.push_back(std::move(line));
      if (nested) members(m->value, child, depth + 1, source);
    }
  }
};

}  // namespace

std::string format_number(const rapidjson::Value& number) {
  if (number.IsInt64()) return std::to_string(number.GetInt64());
  if (number.IsUint64()) return std::to_string(number.GetUint64());
  return fmt::format("{:.12g}", number.GetDouble());
}

std::string format_age(std::chrono::system_clock::duration age) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  if (seconds <= -1) return fmt::format("{} s ahead of this clock (the clocks differ)", -seconds);
  if (seconds < 1) return "just now";
  if (seconds < 120) return fmt::format("{} s ago", seconds);
  if (seconds < 2 * 3600) return fmt::format("{} min ago", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{} h ago", seconds / 3600);
  return fmt::format("{} d ago", seconds / 86400);
}

std::vector<std::string> status_lines(const StatusTree& tree, const StatusViewStyle& style) {
  Printer printer{tree, style, {}};
  printer.members(tree.root(), "", 0, nullptr);
  if (printer.lines.empty()) printer.lines.emplace_back("(empty)");
  return std::move(printer.lines);
}

}  // namespace roc::cli
