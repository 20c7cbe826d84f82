// C++ ↔ JSON conversions for every type the README lists under Types, plus user types through ADL
// `to_json`/`from_json`, and the IDL spelling of each type (for rpc.describe and roc-gen).
#pragma once

#include "roc/attachment.hpp"

#include <rapidjson/document.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace roc::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

/// The pool chunk of the documents roc makes per message (roc::Json, call params, a request
/// read by a server). RapidJSON's default first chunk, 64 KiB, made every small message a large
/// allocation whose release has glibc consolidate its heap; a chunk this size (with its 24-byte
/// header, 1 KiB) stays in glibc's per-thread cache. Large documents take more chunks; values
/// larger than a chunk get one of their own, as before.
inline constexpr std::size_t pool_chunk_bytes = 1000;

/// A pool whose first `N` bytes lie inside the object: a document on it that is a local variable
/// reads or builds a small message without touching the heap, and spills into heap chunks of
/// pool_chunk_bytes beyond that. Neither copyable nor movable: documents point at it.
template <std::size_t N>
class InlinePool {
 public:
  InlinePool() = default;
  InlinePool(const InlinePool&) = delete;
  InlinePool& operator=(const InlinePool&) = delete;
  Allocator& get() noexcept { return pool_; }

 private:
  alignas(std::max_align_t) char buffer_[N];
  Allocator pool_{buffer_, N, pool_chunk_bytes};
};

/// A JSON value did not have the shape a C++ type needs. Carries where (a path such as
/// `roi.x` or `[3].name`, built while the error travels up through containers) and what was
/// expected, so the caller's error message can name both.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(std::string expected, std::string found);
  /// Adds an outer path segment: a member name, or "[i]" for an array element.
  void prepend(std::string_view segment);
  const std::string& path() const noexcept { return path_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& found() const noexcept { return found_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  void rebuild();
  std::string path_, expected_, found_, message_;
};

/// The JSON type of `v` in words, for error messages ("string", "negative integer", ...).
std::string describe_kind(const Value& v);

/// Owns a JSON value parsed from or built for the wire; the result type of dynamic calls.
/// Copyable (deep copy) and movable.
class Json {
 public:
  Json() = default;
  Json(const Json& other) { doc_.CopyFrom(other.doc_, doc_.GetAllocator()); }
  Json(Json&&) noexcept = default;
  Json& operator=(const Json& other) {
    if (this != &other) doc_.CopyFrom(other.doc_, doc_.GetAllocator());
    return *this;
  }
  Json& operator=(Json&&) noexcept = default;
  /// Parses JSON text (UTF-8, nested at most json::max_depth = 256 levels deep, without
  /// recursion: safe on anything a peer sends); throws std::invalid_argument with the offset and
  /// reason on bad or too deep text.
  static Json parse(std::string_view text);
  /// A copy of `v`.
  static Json from(const Value& v);

  const Value& value() const noexcept { return doc_; }
  Value& value() noexcept { return doc_; }
  Allocator& allocator() noexcept { return doc_.GetAllocator(); }
  /// Compact JSON text.
  std::string dump() const;
  /// Indented JSON text, for people.
  std::string pretty() const;
  /// The value as a C++ type; throws DecodeError.
  template <class T>
  T as() const;

  bool operator==(const Json& other) const { return doc_ == other.doc_; }
  bool operator!=(const Json& other) const { return !(*this == other); }

 private:
  // Moved together (a moved-from Json has neither, as a moved-from Document has no allocator);
  // the pool is freed before the document is replaced, which is safe: pool values need no free.
  std::unique_ptr<Allocator> pool_ = std::make_unique<Allocator>(pool_chunk_bytes);
  Document doc_{pool_.get()};
};

/// Writes `v` as compact JSON text.
std::string to_string(const Value& v);

/// The IDL name of a user type: specialize for annotated structs and enums ("lab::Roi").
/// Types with ADL to_json/from_json and no TypeName are described as "json".
template <class T>
struct TypeName {
  static std::string get() { return "json"; }
};

/// Names of an enum's values, for enums converted to and from their names. Specialize with
/// `static constexpr std::array<std::pair<E, const char*>, N> values{...}` (generated code does).
/// Without it (and without ADL functions), an enum travels as its underlying integer.
template <class E>
struct EnumNames;

/// How a type converts. Specialized below for the built-in types; user types use ADL.
template <class T, class Enable = void>
struct Codec;

namespace detail {

template <class T, class = void>
struct has_adl_to_json : std::false_type {};
template <class T, class = void>
struct has_adl_from_json : std::false_type {};
template <class T, class = void>
struct has_enum_names : std::false_type {};
template <class T>
struct has_enum_names<T, std::void_t<decltype(EnumNames<T>::values)>> : std::true_type {};
template <class T, class = void>
struct has_codec : std::false_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct has_codec<T, std::void_t<decltype(Codec<T>::type_name())>> : std::true_type {};

}  // namespace detail

/// Whether E has EnumNames (travels by name). Generated code static_asserts it for every ROC_ENUM
/// it uses, so a missing include shows at compile time instead of as integers on the wire.
template <class E>
inline constexpr bool has_enum_names_v = detail::has_enum_names<E>::value;

// ---- entry points -------------------------------------------------------------------------------

/// Converts `v` into `out`, allocating from `a`.
template <class T>
void encode(const T& v, Value& out, Allocator& a);
/// Converts `in` into `out`; throws DecodeError naming the path and the expected type.
template <class T>
void decode(const Value& in, T& out);
/// Convenience: decode into a fresh T (T must be default-constructible).
template <class T>
T decode_as(const Value& in) {
  T out{};
  decode(in, out);
  return out;
}
/// The type's IDL spelling: `int32`, `array<string>`, `map<double>`, `lab::Roi`, ...
template <class T>
std::string type_name();

// Helpers for struct codecs (used by generated code and hand-written to_json/from_json).

/// Adds member `name` (a string that outlives the value: a literal) holding `value` to object `out`.
template <class T>
void write_member(Value& out, const char* name, const T& value, Allocator& a) {
  Value v;
  encode(value, v, a);
  out.AddMember(rapidjson::StringRef(name), v, a);
}

/// Reads member `name` of object `in` into `field`. A missing member is an error unless the field
/// is a std::optional (then it is reset). Errors name the member in their path.
template <class T>
void read_member(const Value& in, const char* name, T& field);

/// Throws DecodeError unless `in` is an object; `type` names what was expected.
void require_object(const Value& in, std::string_view type);

// ---- attachments (idl/PROTOCOL.md §3.3) -----------------------------------------------------------

namespace detail {
/// Whether `in` is a reference to an attachment: an object with the member "$attachment".
bool is_reference(const Value& in) noexcept;

/// An attachment as a reference in the JSON named it, checked against the frame it points to.
struct Referenced {
  roc::detail::IncomingAttachment* attachment;
  std::vector<std::size_t> shape;
  std::size_t count;  ///< elements
  bool swap;          ///< the sender's byte order is not ours: every element is reversed
};

/// Reads reference `in` for a value of IDL type `expected` whose elements are `element_type`
/// (IDL scalar name) of `element_size` bytes, with one dimension unless `any_rank`. Throws
/// DecodeError naming what does not fit: no attachments, an index out of range, another element
/// type, a shape whose size is not the frame's.
Referenced read_reference(const Value& in, const std::string& expected, std::string_view element_type,
                          std::size_t element_size, bool any_rank);

/// When the current sink wants `count` elements of `data`, adds them as an attachment, writes the
/// reference into `out` and returns true. `owner` keeps the bytes alive without a copy (null:
/// the sink's owner of `object`, if any; else they are copied when sent).
bool encode_attachment(const void* object, const void* data, std::size_t count, std::size_t element_size,
                       std::string_view element_type, const std::size_t* shape, std::size_t ndim,
                       std::shared_ptr<const void> owner, Value& out, Allocator& a);

/// The first attachment index below `count` that no reference in `doc` names, if any (none
/// when a reference names no frame: decoding it reports that).
std::optional<std::size_t> first_unreferenced(const Value& doc, std::size_t count);

/// Bytes per element of IDL numeric type `type` (int8 … uint64, float, double); 0 for any other.
std::size_t element_size(std::string_view type) noexcept;

/// Copies `count` elements of `size` bytes, reversing the bytes of each when `swap`.
void copy_elements(void* to, const void* from, std::size_t count, std::size_t size, bool swap) noexcept;

/// Base64 (RFC 4648, with padding), the JSON form of roc::Bytes.
std::string base64_encode(const std::uint8_t* data, std::size_t size);
/// Decodes base64; throws DecodeError on anything else.
std::vector<std::uint8_t> base64_decode(std::string_view text);

/// Numbers in contiguous memory: what a dispatcher can hand to ZeroMQ as it is.
template <class T>
struct is_numeric_block : std::false_type {};
template <class T, class A>
struct is_numeric_block<std::vector<T, A>> : std::bool_constant<is_attachment_element_v<T>> {};
template <class T, std::size_t N>
struct is_numeric_block<std::array<T, N>> : std::bool_constant<is_attachment_element_v<T>> {};
}  // namespace detail

/// Writes every attachment reference in `v` out as plain JSON (arrays, nested arrays for more than
/// one dimension), reading the bytes from `source`: what a peer that speaks only JSON, or a person,
/// gets. Throws DecodeError on a reference that does not fit its attachment, or when the
/// references hold more than `max_elements` elements together.
void inline_attachments(Value& v, Allocator& a, roc::detail::AttachmentSource& source,
                        std::size_t max_elements = std::numeric_limits<std::size_t>::max());

// ---- built-in codecs ----------------------------------------------------------------------------

template <>
struct Codec<bool> {
  static void encode(bool v, Value& out, Allocator&) { out.SetBool(v); }
  static void decode(const Value& in, bool& out);
  static std::string type_name() { return "bool"; }
};

namespace detail {
template <class T>
std::string integer_name() {
  return std::string(std::is_signed_v<T> ? "int" : "uint") + std::to_string(sizeof(T) * 8);
}
/// Range-checked read of an integer; accepts integral doubles such as 3.0 (JavaScript senders).
void decode_signed(const Value& in, std::int64_t& out, std::int64_t min, std::int64_t max,
                   const std::string& name);
void decode_unsigned(const Value& in, std::uint64_t& out, std::uint64_t max, const std::string& name);
}  // namespace detail

template <class T>
struct Codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static void encode(T v, Value& out, Allocator&) {
    if constexpr (std::is_signed_v<T>)
      out.SetInt64(static_cast<std::int64_t>(v));
    else
      out.SetUint64(static_cast<std::uint64_t>(v));
  }
  static void decode(const Value& in, T& out) {
    if constexpr (std::is_signed_v<T>) {
      std::int64_t v = 0;
      detail::decode_signed(in, v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                            type_name());
      out = static_cast<T>(v);
    } else {
      std::uint64_t v = 0;
      detail::decode_unsigned(in, v, std::numeric_limits<T>::max(), type_name());
      out = static_cast<T>(v);
    }
  }
  static std::string type_name() { return detail::integer_name<T>(); }
};

namespace detail {
/// The spelling of a non-finite number, nullptr for a finite one.
const char* non_finite_name(double v) noexcept;
/// Reads `in` as a floating-point number: a JSON number, one of the strings "NaN", "Infinity"
/// and "-Infinity", or null (NaN). Throws DecodeError naming `name`.
double decode_floating(const Value& in, const std::string& name);
}  // namespace detail

/// JSON has no spelling for infinity and NaN: they travel as the strings "Infinity",
/// "-Infinity" and "NaN" (protobuf's JSON mapping), which decoding accepts along with numbers.
/// Null decodes as NaN too, for senders that spell it that way.
template <class T>
struct Codec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static void encode(T v, Value& out, Allocator&) {
    if (const char* name = detail::non_finite_name(static_cast<double>(v)))
      out.SetString(rapidjson::StringRef(name));
    else
      out.SetDouble(static_cast<double>(v));
  }
  static void decode(const Value& in, T& out) { out = static_cast<T>(detail::decode_floating(in, type_name())); }
  static std::string type_name() { return sizeof(T) == sizeof(float) ? "float" : "double"; }
};

template <>
struct Codec<std::string> {
  static void encode(const std::string& v, Value& out, Allocator& a) {
    out.SetString(v.data(), static_cast<rapidjson::SizeType>(v.size()), a);
  }
  static void decode(const Value& in, std::string& out);
  static std::string type_name() { return "string"; }
};

template <>
struct Codec<std::string_view> {  // encode only: a view cannot own decoded text
  static void encode(std::string_view v, Value& out, Allocator& a) {
    out.SetString(v.data(), static_cast<rapidjson::SizeType>(v.size()), a);
  }
  static std::string type_name() { return "string"; }
};

template <>
struct Codec<const char*> {  // encode only; servers decode `const char*` parameters into a std::string
  static void encode(const char* v, Value& out, Allocator& a) {
    if (v == nullptr)
      out.SetNull();  // a C API's "no string"
    else
      out.SetString(v, a);
  }
  static std::string type_name() { return "string"; }
};

template <std::size_t N>
struct Codec<char[N]> {  // string literals passed as arguments
  static void encode(const char (&v)[N], Value& out, Allocator& a) { out.SetString(v, a); }
  static std::string type_name() { return "string"; }
};

template <>
struct Codec<Value> {
  static void encode(const Value& v, Value& out, Allocator& a) { out.CopyFrom(v, a); }
  static std::string type_name() { return "json"; }
};

/// A `json` value decoded from a message with attachments gets their values written out as
/// plain JSON: a Json outlives the message's frames.
template <>
struct Codec<Json> {
  static void encode(const Json& v, Value& out, Allocator& a) { out.CopyFrom(v.value(), a); }
  static void decode(const Value& in, Json& out);
  static std::string type_name() { return "json"; }
};

namespace detail {
template <class Element, class Container>
void decode_elements(const Value& in, Container& out, const std::string& name) {
  if (!in.IsArray()) throw DecodeError(name, describe_kind(in));
  out.clear();
  out.reserve(in.Size());
  for (rapidjson::SizeType i = 0; i < in.Size(); ++i) {
    try {
      Element e{};
      roc::json::decode(in[i], e);
      out.push_back(std::move(e));
    } catch (DecodeError& error) {
      error.prepend("[" + std::to_string(i) + "]");
      throw;
    }
  }
}
}  // namespace detail

template <class T, class A>
struct Codec<std::vector<T, A>> {
  static void encode(const std::vector<T, A>& v, Value& out, Allocator& a) {
    if constexpr (is_attachment_element_v<T>) {
      const std::size_t shape = v.size();
      if (detail::encode_attachment(&v, v.data(), v.size(), sizeof(T), Codec<T>::type_name(), &shape, 1, nullptr,
                                    out, a))
        return;
    }
    out.SetArray();
    out.Reserve(static_cast<rapidjson::SizeType>(v.size()), a);
    for (const auto& e : v) {
      Value item;
      roc::json::encode(e, item, a);
      out.PushBack(item, a);
    }
  }
  static void decode(const Value& in, std::vector<T, A>& out) {
    if constexpr (is_attachment_element_v<T>) {
      if (detail::is_reference(in)) {
        const auto r = detail::read_reference(in, type_name(), Codec<T>::type_name(), sizeof(T), false);
        const auto* first = static_cast<const T*>(r.attachment->data);
        if (!r.swap && reinterpret_cast<std::uintptr_t>(first) % alignof(T) == 0) {
          out.assign(first, first + r.count);  // one pass: no zero-filling before the copy
        } else {
          out.resize(r.count);
          detail::copy_elements(out.data(), r.attachment->data, r.count, sizeof(T), r.swap);
        }
        return;
      }
    }
    detail::decode_elements<T>(in, out, type_name());
  }
  static std::string type_name() { return "array<" + roc::json::type_name<T>() + ">"; }
};

template <class T, std::size_t N>
struct Codec<std::array<T, N>> {
  static void encode(const std::array<T, N>& v, Value& out, Allocator& a) {
    if constexpr (is_attachment_element_v<T>) {
      const std::size_t shape = N;
      if (detail::encode_attachment(&v, v.data(), N, sizeof(T), Codec<T>::type_name(), &shape, 1, nullptr, out, a))
        return;
    }
    out.SetArray();
    out.Reserve(static_cast<rapidjson::SizeType>(N), a);
    for (const auto& e : v) {
      Value item;
      roc::json::encode(e, item, a);
      out.PushBack(item, a);
    }
  }
  static void decode(const Value& in, std::array<T, N>& out) {
    if constexpr (is_attachment_element_v<T>) {
      if (detail::is_reference(in)) {
        const auto r = detail::read_reference(in, type_name(), Codec<T>::type_name(), sizeof(T), false);
        if (r.count != N) throw DecodeError(type_name(), "an attachment of " + std::to_string(r.count) + " elements");
        detail::copy_elements(out.data(), r.attachment->data, N, sizeof(T), r.swap);
        return;
      }
    }
    if (!in.IsArray() || in.Size() != N)
      throw DecodeError(type_name(), in.IsArray() ? "an array of " + std::to_string(in.Size()) +
                                                        " elements"
                                                  : describe_kind(in));
    for (std::size_t i = 0; i < N; ++i) {
      try {
        roc::json::decode(in[static_cast<rapidjson::SizeType>(i)], out[i]);
      } catch (DecodeError& error) {
        error.prepend("[" + std::to_string(i) + "]");
        throw;
      }
    }
  }
  static std::string type_name() {
    return "array<" + roc::json::type_name<T>() + "," + std::to_string(N) + ">";
  }
};

namespace detail {
template <class Map>
struct MapCodec {
  using Mapped = typename Map::mapped_type;
  static void encode(const Map& m, Value& out, Allocator& a) {
    out.SetObject();
    for (const auto& [key, value] : m) {
      Value k(key.data(), static_cast<rapidjson::SizeType>(key.size()), a);
      Value v;
      roc::json::encode(value, v, a);
      out.AddMember(k, v, a);
    }
  }
  static void decode(const Value& in, Map& out) {
    if (!in.IsObject()) throw DecodeError(type_name(), describe_kind(in));
    out.clear();
    for (const auto& member : in.GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      try {
        Mapped v{};
        roc::json::decode(member.value, v);
        out.emplace(key, std::move(v));
      } catch (DecodeError& error) {
        error.prepend(key);
        throw;
      }
    }
  }
  static std::string type_name() { return "map<" + roc::json::type_name<Mapped>() + ">"; }
};
}  // namespace detail

template <class T, class C, class A>
struct Codec<std::map<std::string, T, C, A>> : detail::MapCodec<std::map<std::string, T, C, A>> {};
template <class T, class H, class E, class A>
struct Codec<std::unordered_map<std::string, T, H, E, A>>
    : detail::MapCodec<std::unordered_map<std::string, T, H, E, A>> {};

template <class T>
struct Codec<std::optional<T>> {
  static void encode(const std::optional<T>& v, Value& out, Allocator& a) {
    if (v)
      roc::json::encode(*v, out, a);
    else
      out.SetNull();
  }
  static void decode(const Value& in, std::optional<T>& out) {
    if (in.IsNull()) {
      out.reset();
      return;
    }
    T v{};
    roc::json::decode(in, v);
    out = std::move(v);
  }
  static std::string type_name() { return "optional<" + roc::json::type_name<T>() + ">"; }
};

namespace detail {
template <class Tuple, std::size_t... I>
void encode_tuple(const Tuple& t, Value& out, Allocator& a, std::index_sequence<I...>) {
  out.SetArray();
  out.Reserve(sizeof...(I), a);
  auto push = [&](const auto& e) {
    Value item;
    roc::json::encode(e, item, a);
    out.PushBack(item, a);
  };
  (push(std::get<I>(t)), ...);
}
template <class Tuple, std::size_t... I>
void decode_tuple(const Value& in, Tuple& t, const std::string& name, std::index_sequence<I...>) {
  if (!in.IsArray() || in.Size() != sizeof...(I))
    throw DecodeError(name, in.IsArray() ? "an array of " + std::to_string(in.Size()) + " elements"
                                         : describe_kind(in));
  auto read = [&](auto& e, std::size_t i) {
    try {
      roc::json::decode(in[static_cast<rapidjson::SizeType>(i)], e);
    } catch (DecodeError& error) {
      error.prepend("[" + std::to_string(i) + "]");
      throw;
    }
  };
  (read(std::get<I>(t), I), ...);
}
template <class... T>
std::string tuple_name() {
  std::string name = "tuple<";
  bool first = true;
  ((name += (first ? "" : ","), name += roc::json::type_name<T>(), first = false), ...);
  return name + ">";
}
}  // namespace detail

template <class A, class B>
struct Codec<std::pair<A, B>> {
  static void encode(const std::pair<A, B>& v, Value& out, Allocator& a) {
    detail::encode_tuple(v, out, a, std::index_sequence<0, 1>{});
  }
  static void decode(const Value& in, std::pair<A, B>& out) {
    detail::decode_tuple(in, out, type_name(), std::index_sequence<0, 1>{});
  }
  static std::string type_name() { return detail::tuple_name<A, B>(); }
};

template <class... T>
struct Codec<std::tuple<T...>> {
  static void encode(const std::tuple<T...>& v, Value& out, Allocator& a) {
    detail::encode_tuple(v, out, a, std::index_sequence_for<T...>{});
  }
  static void decode(const Value& in, std::tuple<T...>& out) {
    detail::decode_tuple(in, out, type_name(), std::index_sequence_for<T...>{});
  }
  static std::string type_name() { return detail::tuple_name<T...>(); }
};

namespace detail {
template <class Period>
constexpr const char* unit_name() {
  if constexpr (std::is_same_v<Period, std::nano>) return "ns";
  else if constexpr (std::is_same_v<Period, std::micro>) return "us";
  else if constexpr (std::is_same_v<Period, std::milli>) return "ms";
  else if constexpr (std::is_same_v<Period, std::ratio<1>>) return "s";
  else if constexpr (std::is_same_v<Period, std::ratio<60>>) return "min";
  else if constexpr (std::is_same_v<Period, std::ratio<3600>>) return "h";
  else return nullptr;
}
}  // namespace detail

/// A duration travels as a number of its own units; the unit is part of its IDL type.
template <class Rep, class Period>
struct Codec<std::chrono::duration<Rep, Period>> {
  static_assert(detail::unit_name<Period>() != nullptr,
                "roc converts durations in ns, us, ms, s, min or h only");
  using Duration = std::chrono::duration<Rep, Period>;
  static void encode(const Duration& v, Value& out, Allocator& a) { roc::json::encode(v.count(), out, a); }
  static void decode(const Value& in, Duration& out) {
    Rep count{};
    try {
      roc::json::decode(in, count);
    } catch (DecodeError&) {
      throw DecodeError(type_name(), describe_kind(in));
    }
    out = Duration(count);
  }
  static std::string type_name() {
    return "duration<" + roc::json::type_name<Rep>() + "," + detail::unit_name<Period>() + ">";
  }
};

template <class E>
struct Codec<E, std::enable_if_t<std::is_enum_v<E> && !detail::has_adl_to_json<E>::value>> {
  using Underlying = std::underlying_type_t<E>;
  static void encode(E v, Value& out, Allocator& a) {
    if constexpr (detail::has_enum_names<E>::value) {
      for (const auto& [value, name] : EnumNames<E>::values)
        if (value == v) {
          out.SetString(rapidjson::StringRef(name));
          return;
        }
    }
    roc::json::encode(static_cast<Underlying>(v), out, a);  // unnamed value: its number
  }
  static void decode(const Value& in, E& out) {
    if constexpr (detail::has_enum_names<E>::value) {
      if (in.IsString()) {
        std::string_view text(in.GetString(), in.GetStringLength());
        for (const auto& [value, name] : EnumNames<E>::values)
          if (text == name) {
            out = value;
            return;
          }
        throw DecodeError(type_name(), "'" + std::string(text) + "', which is not one of its values");
      }
    }
    Underlying number{};
    try {
      roc::json::decode(in, number);
    } catch (DecodeError&) {
      throw DecodeError(type_name(), describe_kind(in));
    }
    out = static_cast<E>(number);
  }
  static std::string type_name() {
    if constexpr (detail::has_enum_names<E>::value)
      return TypeName<E>::get();
    else
      return roc::json::type_name<Underlying>();
  }
};

/// Bytes travel as an attachment, or as a base64 string to peers that speak only JSON; decoding
/// also takes an array of numbers from 0 to 255.
template <>
struct Codec<roc::Bytes> {
  static void encode(const roc::Bytes& v, Value& out, Allocator& a);
  static void decode(const Value& in, roc::Bytes& out);
  static std::string type_name() { return "bytes"; }
};

namespace detail {
/// The shape of nested JSON arrays (row-major, rectangular); throws DecodeError naming `name`.
std::vector<std::size_t> nested_shape(const Value& in, const std::string& name);
/// Calls `leaf(value, flat_index)` for every element of nested arrays of `shape`, checking that
/// each level has its dimension's length; errors name the element's path.
void for_each_nested(const Value& in, const std::vector<std::size_t>& shape, const std::string& name,
                     void (*leaf)(const Value&, std::size_t, void*), void* context);
/// Writes `count` elements as nested arrays of `shape`; `element(i, out)` writes element i.
void write_nested(Value& out, Allocator& a, const std::vector<std::size_t>& shape,
                  void (*element)(std::size_t, Value&, Allocator&, const void*), const void* context);
}  // namespace detail

/// An NdArray travels as an attachment with its shape, or as nested arrays (row-major) to peers
/// that speak only JSON. A received attachment is viewed in place when aligned for T.
template <class T>
struct Codec<roc::NdArray<T>> {
  static void encode(const roc::NdArray<T>& v, Value& out, Allocator& a) {
    if (detail::encode_attachment(&v, v.data(), v.size(), sizeof(T), Codec<T>::type_name(), v.shape().data(),
                                  v.ndim(), v.owner(), out, a))
      return;
    detail::write_nested(
        out, a, v.shape(),
        [](std::size_t i, Value& element, Allocator& alloc, const void* data) {
          Codec<T>::encode(static_cast<const T*>(data)[i], element, alloc);
        },
        v.data());
  }
  static void decode(const Value& in, roc::NdArray<T>& out) {
    if (detail::is_reference(in)) {
      auto r = detail::read_reference(in, type_name(), Codec<T>::type_name(), sizeof(T), true);
      void* data = r.attachment->data;
      if (!r.swap && reinterpret_cast<std::uintptr_t>(data) % alignof(T) == 0) {
        out = roc::NdArray<T>::adopt(std::move(r.shape), r.attachment->owner, static_cast<T*>(data));
      } else {
        roc::NdArray<T> copy(std::move(r.shape));
        detail::copy_elements(copy.data(), data, r.count, sizeof(T), r.swap);
        out = std::move(copy);
      }
      return;
    }
    roc::NdArray<T> array(detail::nested_shape(in, type_name()));
    detail::for_each_nested(
        in, array.shape(), type_name(),
        [](const Value& element, std::size_t i, void* data) { Codec<T>::decode(element, static_cast<T*>(data)[i]); },
        array.data());
    out = std::move(array);
  }
  static std::string type_name() { return "ndarray<" + Codec<T>::type_name() + ">"; }
};

// ---- ADL dispatch -------------------------------------------------------------------------------

namespace adl {
// Poison pills: make unqualified calls below look only at the user's namespaces (ADL).
void to_json() = delete;
void from_json() = delete;

template <class T>
auto call_to_json(Value& out, const T& v, Allocator& a) -> decltype(to_json(out, v, a)) {
  return to_json(out, v, a);
}
template <class T>
auto call_from_json(const Value& in, T& v) -> decltype(from_json(in, v)) {
  return from_json(in, v);
}
}  // namespace adl

namespace detail {
template <class T>
struct has_adl_to_json<T, std::void_t<decltype(adl::call_to_json(std::declval<Value&>(), std::declval<const T&>(),
                                                                 std::declval<Allocator&>()))>>
    : std::true_type {};
template <class T>
struct has_adl_from_json<T, std::void_t<decltype(adl::call_from_json(std::declval<const Value&>(),
                                                                     std::declval<T&>()))>>
    : std::true_type {};

template <class T>
using bare = std::remove_cv_t<std::remove_reference_t<T>>;
}  // namespace detail

template <class T>
void encode(const T& v, Value& out, Allocator& a) {
  using U = detail::bare<T>;
  if constexpr (detail::has_adl_to_json<U>::value) {
    adl::call_to_json(out, v, a);
  } else {
    static_assert(detail::has_codec<U>::value,
                  "roc cannot convert this type to JSON: give it to_json/from_json found by ADL "
                  "(or annotate it with ROC_STRUCT / ROC_ENUM and let roc-gen write them)");
    Codec<U>::encode(v, out, a);
  }
}

template <class T>
void decode(const Value& in, T& out) {
  if constexpr (detail::has_adl_from_json<T>::value) {
    adl::call_from_json(in, out);
  } else {
    static_assert(detail::has_codec<T>::value,
                  "roc cannot convert this type from JSON: give it to_json/from_json found by ADL "
                  "(or annotate it with ROC_STRUCT / ROC_ENUM and let roc-gen write them)");
    Codec<T>::decode(in, out);
  }
}

template <class T>
std::string type_name() {
  using U = detail::bare<T>;
  if constexpr (std::is_void_v<U>)
    return "void";
  else if constexpr (detail::has_adl_to_json<U>::value)
    return TypeName<U>::get();
  else
    return Codec<U>::type_name();
}

template <class T>
void read_member(const Value& in, const char* name, T& field) {
  auto member = in.FindMember(name);
  if (member == in.MemberEnd()) {
    if constexpr (detail::is_optional<T>::value) {
      field.reset();
      return;
    } else {
      DecodeError error(type_name<T>(), "nothing (the member is missing)");
      error.prepend(name);
      throw error;
    }
  }
  try {
    decode(member->value, field);
  } catch (DecodeError& error) {
    error.prepend(name);
    throw;
  }
}

template <class T>
T Json::as() const {
  return decode_as<T>(doc_);
}

}  // namespace roc::json

namespace roc {
using json::Json;
}
