// Reading JSON text that came from a peer: a nesting limit and a parser that does not recurse.
// RapidJSON's default parser recurses once per nesting level, so `[[[[...` a few hundred
// thousand levels deep overflows the stack of whoever parses it. Every parse of network input
// in roc goes through read() (a DOM) or DepthLimit (a SAX handler of your own).
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace roc::json {

/// Deepest nesting of arrays and objects roc accepts from a peer. Real documents (IDL, status
/// trees, call bodies) stay far below it; anything deeper is refused, never parsed.
inline constexpr unsigned max_depth = 256;

/// The flags every network parse uses: iterative (no recursion per level), and strict JSON —
/// which is UTF-8 (RFC 8259 §8.1): text that is not is refused, so it is never echoed back.
inline constexpr unsigned reader_flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// The length of the UTF-8 sequence at the start of `s` (1 to 4), or 0 when it is not one:
// overlong forms, surrogates and code points above U+10FFFF are not UTF-8 (RFC 3629).
inline std::size_t utf8_sequence(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return n;
}

inline bool is_utf8(std::string_view s) {
  while (!s.empty()) {
    const auto n = utf8_sequence(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

/// Why a text was refused; empty when it was read.
struct ReadError {
  std::string message;     ///< "nested deeper than 256 levels at offset 1024", "invalid JSON at offset 3: ..."
  std::size_t offset = 0;  ///< where reading stopped
  bool too_deep = false;   ///< the nesting limit, not the syntax, stopped it
  explicit operator bool() const noexcept { return !message.empty(); }
};

/// Wraps a SAX handler and stops the parse once arrays and objects nest deeper than `limit`.
/// Pass it to a rapidjson::Reader parsing with reader_flags.
template <class Handler>
class DepthLimit {
 public:
  DepthLimit(Handler& inner, unsigned limit) : inner_(inner), limit_(limit) {}

  bool Null() { return inner_.Null(); }
  bool Bool(bool b) { return inner_.Bool(b); }
  bool Int(int i) { return inner_.Int(i); }
  bool Uint(unsigned u) { return inner_.Uint(u); }
  bool Int64(std::int64_t i) { return inner_.Int64(i); }
  bool Uint64(std::uint64_t u) { return inner_.Uint64(u); }
  bool Double(double d) { return inner_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return inner_.RawNumber(s, n, copy); }
  // The reader checks the bytes of the text, but an escaped lone surrogate ("\udc00") decodes
  // to bytes that are not UTF-8: a string holding them could never be written back as JSON.
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return utf8(s, n) && inner_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return utf8(s, n) && inner_.Key(s, n, copy); }
  bool StartObject() { return enter() && inner_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return inner_.EndObject(members);
  }
  bool StartArray() { return enter() && inner_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return inner_.EndArray(elements);
  }

  /// Whether the limit, rather than the inner handler, stopped the parse.
  bool exceeded() const noexcept { return exceeded_; }
  /// Whether a string that decodes to something other than UTF-8 stopped the parse.
  bool not_utf8() const noexcept { return not_utf8_; }

 private:
  bool enter() {
    if (++depth_ <= limit_) return true;
    exceeded_ = true;
    return false;
  }

  bool utf8(const char* s, rapidjson::SizeType n) {
    if (is_utf8({s, n})) return true;
    not_utf8_ = true;
    return false;
  }

  Handler& inner_;
  unsigned limit_;
  unsigned depth_ = 0;
  bool exceeded_ = false;
  bool not_utf8_ = false;
};

/// The error of a finished SAX parse with a DepthLimit, in roc's words; empty on success.
template <class Handler>
ReadError read_error(const rapidjson::ParseResult& result, const DepthLimit<Handler>& limit, unsigned max) {
  ReadError error;
  if (!result.IsError()) return error;
  error.offset = result.Offset();
  error.too_deep = limit.exceeded();
  const auto at = std::to_string(error.offset);
  if (error.too_deep)
    error.message = "JSON nested deeper than " + std::to_string(max) + " levels (offset " + at + ")";
  else if (limit.not_utf8())
    error.message = "invalid JSON at offset " + at + ": a string escapes a lone surrogate, which is not UTF-8";
  else
    error.message = "invalid JSON at offset " + at + ": " + rapidjson::GetParseError_En(result.Code());
  return error;
}

/// Parses `text` into `doc` without recursion, refusing nesting deeper than `limit`. On error
/// `doc` is null and the error says why (naming the limit when that was the reason).
inline ReadError read(rapidjson::Document& doc, std::string_view text, unsigned limit = max_depth) {
  doc.SetNull();
  rapidjson::ParseResult result;
  DepthLimit<rapidjson::Document> guard(doc, limit);
  auto generate = [&](rapidjson::Document&) {
    rapidjson::MemoryStream stream(text.data(), text.size());
    rapidjson::Reader reader;
    result = reader.Parse<reader_flags>(stream, guard);
    return !result.IsError();
  };
  doc.Populate(generate);
  auto error = read_error(result, guard, limit);
  if (error) doc.SetNull();
  return error;
}

}  // namespace roc::json
