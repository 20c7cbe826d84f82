// Out-of-line parts of the JSON conversions: error texts, range checks, text in and out.
#include "roc/json.hpp"
#include "roc/json_reader.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

namespace roc::json {

DecodeError::DecodeError(std::string expected, std::string found)
    : std::runtime_error("JSON decode error"), expected_(std::move(expected)), found_(std::move(found)) {
  rebuild();
}

void DecodeError::prepend(std::string_view segment) {
  if (path_.empty() || path_.front() == '[')
    path_ = std::string(segment) + path_;
  else
    path_ = std::string(segment) + "." + path_;
  rebuild();
}

void DecodeError::rebuild() {
  message_ = path_.empty() ? fmt::format("expected {}, got {}", expected_, found_)
                           : fmt::format("expected {} at '{}', got {}", expected_, path_, found_);
}

std::string describe_kind(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType:
      if (v.IsInt64()) return fmt::format("the integer {}", v.GetInt64());
      if (v.IsUint64()) return fmt::format("the integer {}", v.GetUint64());
      return fmt::format("the number {}", v.GetDouble());
  }
  return "an unknown JSON value";
}

void require_object(const Value& in, std::string_view type) {
  if (!in.IsObject()) throw DecodeError(std::string(type), describe_kind(in));
}

void Codec<bool>::decode(const Value& in, bool& out) {
  if (!in.IsBool()) throw DecodeError("bool", describe_kind(in));
  out = in.GetBool();
}

void Codec<std::string>::decode(const Value& in, std::string& out) {
  if (!in.IsString()) throw DecodeError("string", describe_kind(in));
  out.assign(in.GetString(), in.GetStringLength());
}

namespace detail {
namespace {
// An integral double (3.0) counts as an integer: JavaScript and Python senders produce them.
bool integral_double(const Value& in) {
  if (!in.IsDouble()) return false;
  double d = in.GetDouble();
  return std::isfinite(d) && std::trunc(d) == d;
}
std::string out_of_range(const Value& in, std::int64_t min, std::uint64_t max) {
  return fmt::format("{}, outside {}..{}", describe_kind(in), min, max);
}
}  // namespace

void decode_signed(const Value& in, std::int64_t& out, std::int64_t min, std::int64_t max,
                   const std::string& name) {
  if (in.IsInt64()) {
    out = in.GetInt64();
  } else if (integral_double(in) && in.GetDouble() >= -9.2e18 && in.GetDouble() <= 9.2e18) {
    out = static_cast<std::int64_t>(in.GetDouble());
  } else if (in.IsNumber()) {
    throw DecodeError(name, in.IsUint64() || integral_double(in)
                                ? out_of_range(in, min, static_cast<std::uint64_t>(max))
                                : describe_kind(in) + ", which is not an integer");
  } else {
    throw DecodeError(name, describe_kind(in));
  }
  if (out < min || out > max)
    throw DecodeError(name, out_of_range(in, min, static_cast<std::uint64_t>(max)));
}

void decode_unsigned(const Value& in, std::uint64_t& out, std::uint64_t max, const std::string& name) {
  if (in.IsUint64()) {
    out = in.GetUint64();
  } else if (integral_double(in) && in.GetDouble() >= 0 && in.GetDouble() <= 1.8e19) {
    out = static_cast<std::uint64_t>(in.GetDouble());
  } else if (in.IsNumber()) {
    throw DecodeError(name, in.IsInt64() || integral_double(in) ? out_of_range(in, 0, max)
                                                                : describe_kind(in) + ", which is not an integer");
  } else {
    throw DecodeError(name, describe_kind(in));
  }
  if (out > max) throw DecodeError(name, out_of_range(in, 0, max));
}

const char* non_finite_name(double v) noexcept {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return nullptr;
}

double decode_floating(const Value& in, const std::string& name) {
  if (in.IsNumber()) return in.GetDouble();
  if (in.IsNull()) return std::numeric_limits<double>::quiet_NaN();
  if (in.IsString()) {
    const std::string_view text(in.GetString(), in.GetStringLength());
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  throw DecodeError(name, describe_kind(in));
}
}  // namespace detail

Json Json::parse(std::string_view text) {
  Json j;
  if (auto error = read(j.doc_, text)) throw std::invalid_argument(error.message);
  return j;
}

Json Json::from(const Value& v) {
  Json j;
  j.doc_.CopyFrom(v, j.doc_.GetAllocator());
  return j;
}

namespace {

// A value may hold infinity or NaN (a peer's 1e400 reads as infinity), which RapidJSON's writers
// refuse halfway, leaving broken text. Written as the strings the codecs use, the text stays JSON.
template <class Base>
class TextWriter : public Base {
 public:
  using Base::Base;
  bool Double(double d) {
    if (const char* name = detail::non_finite_name(d)) return Base::String(name);
    return Base::Double(d);
  }
};

}  // namespace

std::string Json::dump() const { return to_string(doc_); }

std::string Json::pretty() const {
  rapidjson::StringBuffer buffer;
  TextWriter<rapidjson::PrettyWriter<rapidjson::StringBuffer>> writer(buffer);
  writer.SetIndent(' ', 2);
  doc_.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string to_string(const Value& v) {
  rapidjson::StringBuffer buffer;
  TextWriter<rapidjson::Writer<rapidjson::StringBuffer>> writer(buffer);
  v.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace roc::json
