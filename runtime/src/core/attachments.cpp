// Attachments in the JSON codecs (idl/PROTOCOL.md §3.3): references out and in, checked against
// the frames they name; the JSON forms of Bytes (base64) and NdArray (nested arrays); and turning
// references back into plain JSON for peers and people that read only JSON.
#include "roc/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace roc {
namespace detail {
template <>
AttachmentSink*& ThreadScope<AttachmentSink>::slot() noexcept {
  thread_local AttachmentSink* in_effect = nullptr;
  return in_effect;
}

template <>
AttachmentSource*& ThreadScope<AttachmentSource>::slot() noexcept {
  thread_local AttachmentSource* in_effect = nullptr;
  return in_effect;
}

}  // namespace detail

namespace json {
namespace detail {
namespace {

constexpr const char* index_key = "$attachment";
// numpy allows 32 dimensions (64 since 2.0); more is a hostile shape, not an image.
constexpr std::size_t max_rank = 32;

bool little_endian() noexcept {
  const std::uint16_t probe = 1;
  return *reinterpret_cast<const std::uint8_t*>(&probe) == 1;
}

const char* native_order() noexcept { return little_endian() ? "little" : "big"; }

std::string shape_text(const std::vector<std::size_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

/// Element types by IDL name: what inline_attachments needs to read bytes it has no C++ type for.
struct ElementKind {
  const char* name;
  std::size_t size;
  void (*write)(const void* at, Value& out);
};

template <class T>
ElementKind kind_of(const char* name) {
  return {name, sizeof(T), [](const void* at, Value& out) {
            T v;
            std::memcpy(&v, at, sizeof v);
            if constexpr (std::is_floating_point_v<T>) {
              if (const char* spelled = non_finite_name(v))
                out.SetString(rapidjson::StringRef(spelled));
              else
                out.SetDouble(v);
            } else if constexpr (std::is_signed_v<T>) {
              out.SetInt64(v);
            } else {
              out.SetUint64(v);
            }
          }};
}

const ElementKind* find_kind(std::string_view name) {
  static const ElementKind kinds[] = {
      kind_of<std::int8_t>("int8"),     kind_of<std::uint8_t>("uint8"),   kind_of<std::int16_t>("int16"),
      kind_of<std::uint16_t>("uint16"), kind_of<std::int32_t>("int32"),   kind_of<std::uint32_t>("uint32"),
      kind_of<std::int64_t>("int64"),   kind_of<std::uint64_t>("uint64"), kind_of<float>("float"),
      kind_of<double>("double"),
  };
  for (const auto& kind : kinds)
    if (name == kind.name) return &kind;
  return nullptr;
}

}  // namespace

std::size_t element_size(std::string_view type) noexcept {
  const auto* kind = find_kind(type);
  return kind == nullptr ? 0 : kind->size;
}

bool is_reference(const Value& in) noexcept { return in.IsObject() && in.HasMember(index_key); }

Referenced read_reference(const Value& in, const std::string& expected, std::string_view element_type,
                          std::size_t element_size, bool any_rank) {
  auto* source = roc::detail::current_source();
  const auto& index = in[index_key];
  if (!index.IsUint64()) throw DecodeError(expected, "an attachment reference whose index is not a whole number");
  if (source == nullptr || index.GetUint64() >= source->size())
    throw DecodeError(expected, fmt::format("a reference to attachment {}, but the message carries {}",
                                            index.GetUint64(), source == nullptr ? 0 : source->size()));
  auto type = in.FindMember("type");
  if (type == in.MemberEnd() || !type->value.IsString())
    throw DecodeError(expected, "an attachment reference without a string 'type'");
  const std::string_view sent_type(type->value.GetString(), type->value.GetStringLength());
  if (sent_type != element_type)
    throw DecodeError(expected, fmt::format("an attachment of {} elements", sent_type.substr(0, 32)));
  auto order = in.FindMember("order");
  if (order == in.MemberEnd() || !order->value.IsString() ||
      (std::string_view(order->value.GetString()) != "little" && std::string_view(order->value.GetString()) != "big"))
    throw DecodeError(expected, "an attachment reference whose 'order' is not \"little\" or \"big\"");
  auto shape = in.FindMember("shape");
  if (shape == in.MemberEnd() || !shape->value.IsArray() || shape->value.Empty() ||
      shape->value.Size() > max_rank)
    throw DecodeError(expected, fmt::format("an attachment reference whose 'shape' is not an array of 1 to {} sizes",
                                            max_rank));
  if (!any_rank && shape->value.Size() != 1)
    throw DecodeError(expected, fmt::format("an attachment of {} dimensions (a flat array has one)",
                                            shape->value.Size()));
  Referenced r{&(*source)[index.GetUint64()], {}, 1, false};
  bool overflow = false;
  for (const auto& dimension : shape->value.GetArray()) {
    if (!dimension.IsUint64())
      throw DecodeError(expected, "an attachment reference whose 'shape' holds something other than sizes");
    const auto d = static_cast<std::size_t>(dimension.GetUint64());
    // A hostile shape may multiply past 64 bits: that never matches a frame's size.
    overflow = overflow || __builtin_mul_overflow(r.count, d, &r.count);
    r.shape.push_back(d);
  }
  std::size_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(r.count, element_size, &bytes);
  if (overflow || bytes != r.attachment->size)
    throw DecodeError(expected, fmt::format("an attachment of {} bytes, which is not shape {} of {} elements of {} "
                                            "bytes",
                                            r.attachment->size, shape_text(r.shape), element_type, element_size));
  r.swap = element_size > 1 && std::string_view(order->value.GetString()) != native_order();
  return r;
}

bool encode_attachment(const void* object, const void* data, std::size_t count, std::size_t element_size,
                       std::string_view element_type, const std::size_t* shape, std::size_t ndim,
                       std::shared_ptr<const void> owner, Value& out, Allocator& a) {
  auto* sink = roc::detail::current_sink();
  if (sink == nullptr || !sink->wants(count * element_size)) return false;
  if (!owner) owner = sink->owner_of(object);
  const auto index = sink->add(data, count * element_size, std::move(owner));
  out.SetObject();
  out.AddMember(rapidjson::StringRef(index_key), Value(static_cast<std::uint64_t>(index)), a);
  out.AddMember("type", Value(element_type.data(), static_cast<rapidjson::SizeType>(element_type.size()), a), a);
  out.AddMember("order", rapidjson::StringRef(native_order()), a);
  Value dims(rapidjson::kArrayType);
  dims.Reserve(static_cast<rapidjson::SizeType>(ndim), a);
  for (std::size_t i = 0; i < ndim; ++i) dims.PushBack(Value(static_cast<std::uint64_t>(shape[i])), a);
  out.AddMember("shape", dims, a);
  return true;
}

/// The first attachment index below `count` that no reference in `doc` names, if any.
std::optional<std::size_t> first_unreferenced(const Value& doc, std::size_t count) {
  std::vector<bool> named(count, false);
  std::vector<const Value*> pending{&doc};  // no recursion: peers choose the depth
  while (!pending.empty()) {
    const auto* at = pending.back();
    pending.pop_back();
    if (is_reference(*at)) {
      // A reference with no frame is reported where it is decoded, naming its parameter.
      const auto& index = (*at)[index_key];
      if (!index.IsUint64() || index.GetUint64() >= count) return std::nullopt;
      named[index.GetUint64()] = true;
    } else if (at->IsObject()) {
      for (const auto& member : at->GetObject()) pending.push_back(&member.value);
    } else if (at->IsArray()) {
      for (const auto& element : at->GetArray()) pending.push_back(&element);
    }
  }
  for (std::size_t i = 0; i < count; ++i)
    if (!named[i]) return i;
  return std::nullopt;
}

void copy_elements(void* to, const void* from, std::size_t count, std::size_t size, bool swap) noexcept {
  if (count == 0) return;
  if (!swap) {
    std::memcpy(to, from, count * size);
    return;
  }
  auto* out = static_cast<std::uint8_t*>(to);
  const auto* in = static_cast<const std::uint8_t*>(from);
  for (std::size_t i = 0; i < count; ++i, out += size, in += size) std::reverse_copy(in, in + size, out);
}

// ---- base64 ----------------------------------------------------------------------------------

namespace {
constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (i + 1 < size ? std::uint32_t{data[i + 1]} << 8 : 0) |
                            (i + 2 < size ? std::uint32_t{data[i + 2]} : 0);
    out += base64_alphabet[(n >> 18) & 63];
    out += base64_alphabet[(n >> 12) & 63];
    out += i + 1 < size ? base64_alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < size ? base64_alphabet[n & 63] : '=';
  }
  return out;
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    throw DecodeError("bytes", fmt::format("a string of {} characters, which is not base64 (a multiple of 4)",
                                           text.size()));
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      // Padding only at the very end: "=" in the last group's last one or two places.
      if (c == '=' && i + 4 == text.size() && j >= 2 && (j == 3 || text[i + 3] == '=')) {
        ++padding;
        n <<= 6;
        continue;
      }
      const int v = base64_value(c);
      if (v < 0 || padding > 0)
        throw DecodeError("bytes", fmt::format("a string that is not base64 (byte 0x{:02x} at offset {})",
                                               static_cast<unsigned char>(c), i + j));
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    if (padding < 2) out.push_back(static_cast<std::uint8_t>(n >> 8));
    if (padding < 1) out.push_back(static_cast<std::uint8_t>(n));
  }
  return out;
}

// ---- nested arrays -----------------------------------------------------------------------------

std::vector<std::size_t> nested_shape(const Value& in, const std::string& name) {
  if (!in.IsArray()) throw DecodeError(name, describe_kind(in));
  std::vector<std::size_t> shape;
  const Value* level = &in;
  while (level->IsArray()) {
    if (shape.size() == max_rank)
      throw DecodeError(name, fmt::format("arrays nested more than {} deep", max_rank));
    shape.push_back(level->Size());
    if (level->Empty()) break;
    level = &(*level)[0];
  }
  return shape;
}

namespace {
void visit_nested(const Value& in, const std::vector<std::size_t>& shape, std::size_t depth, std::size_t& flat,
                  const std::string& name, void (*leaf)(const Value&, std::size_t, void*), void* context) {
  if (!in.IsArray() || in.Size() != shape[depth])
    throw DecodeError(name, in.IsArray() ? fmt::format("a row of {} elements where the first has {} (the array is "
                                                       "not rectangular)",
                                                       in.Size(), shape[depth])
                                         : describe_kind(in));
  for (rapidjson::SizeType i = 0; i < in.Size(); ++i) {
    try {
      if (depth + 1 == shape.size())
        leaf(in[i], flat++, context);
      else
        visit_nested(in[i], shape, depth + 1, flat, name, leaf, context);
    } catch (DecodeError& error) {
      error.prepend("[" + std::to_string(i) + "]");
      throw;
    }
  }
}

void write_level(Value& out, Allocator& a, const std::vector<std::size_t>& shape, std::size_t depth, std::size_t& flat,
                 void (*element)(std::size_t, Value&, Allocator&, const void*), const void* context) {
  out.SetArray();
  out.Reserve(static_cast<rapidjson::SizeType>(shape[depth]), a);
  for (std::size_t i = 0; i < shape[depth]; ++i) {
    Value item;
    if (depth + 1 == shape.size())
      element(flat++, item, a, context);
    else
      write_level(item, a, shape, depth + 1, flat, element, context);
    out.PushBack(item, a);
  }
}
}  // namespace

void for_each_nested(const Value& in, const std::vector<std::size_t>& shape, const std::string& name,
                     void (*leaf)(const Value&, std::size_t, void*), void* context) {
  std::size_t flat = 0;
  visit_nested(in, shape, 0, flat, name, leaf, context);
}

void write_nested(Value& out, Allocator& a, const std::vector<std::size_t>& shape,
                  void (*element)(std::size_t, Value&, Allocator&, const void*), const void* context) {
  std::size_t flat = 0;
  if (shape.empty()) {
    out.SetArray();
    return;
  }
  write_level(out, a, shape, 0, flat, element, context);
}

}  // namespace detail

// ---- Bytes ------------------------------------------------------------------------------------

void Codec<roc::Bytes>::encode(const roc::Bytes& v, Value& out, Allocator& a) {
  const std::size_t shape = v.size();
  if (detail::encode_attachment(&v, v.data(), v.size(), 1, "uint8", &shape, 1, v.owner(), out, a)) return;
  const auto text = detail::base64_encode(v.data(), v.size());
  out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
}

void Codec<roc::Bytes>::decode(const Value& in, roc::Bytes& out) {
  if (detail::is_reference(in)) {
    const auto r = detail::read_reference(in, "bytes", "uint8", 1, false);
    out = roc::Bytes::adopt(r.attachment->owner, static_cast<std::uint8_t*>(r.attachment->data), r.count);
    return;
  }
  if (in.IsString()) {
    out = roc::Bytes(detail::base64_decode(std::string_view(in.GetString(), in.GetStringLength())));
    return;
  }
  if (in.IsArray()) {  // what a peer that knows no base64 may send: numbers from 0 to 255
    std::vector<std::uint8_t> bytes;
    detail::decode_elements<std::uint8_t>(in, bytes, "bytes");
    out = roc::Bytes(std::move(bytes));
    return;
  }
  throw DecodeError("bytes (a base64 string)", describe_kind(in));
}

// ---- references back to JSON -----------------------------------------------------------------

void Codec<Json>::decode(const Value& in, Json& out) {
  out = Json::from(in);
  auto* source = roc::detail::current_source();
  if (source != nullptr && source->size() > 0) inline_attachments(out.value(), out.allocator(), *source);
}

void inline_attachments(Value& v, Allocator& a, roc::detail::AttachmentSource& source, std::size_t max_elements) {
  std::size_t elements = 0;
  // Without recursion: `v` may be anything a peer sent, nested up to json::max_depth.
  std::vector<Value*> pending{&v};
  const roc::detail::SourceScope scope(&source);
  while (!pending.empty()) {
    Value* at = pending.back();
    pending.pop_back();
    if (detail::is_reference(*at)) {
      const auto type = at->HasMember("type") && (*at)["type"].IsString() ? std::string((*at)["type"].GetString())
                                                                          : std::string();
      const auto* kind = detail::find_kind(type);
      if (kind == nullptr)
        throw DecodeError("an attachment of numbers", "an attachment of '" + type.substr(0, 32) + "' elements");
      const auto r = detail::read_reference(*at, "ndarray<" + type + ">", type, kind->size, true);
      elements += r.count;
      if (elements > max_elements)  // each becomes a JSON value of 16 bytes, and text besides
        throw DecodeError(fmt::format("at most {} elements to write as JSON", max_elements),
                          fmt::format("attachments of {} elements or more", elements));
      std::vector<std::uint8_t> bytes(r.attachment->size);  // in our byte order
      detail::copy_elements(bytes.data(), r.attachment->data, r.count, kind->size, r.swap);
      struct Context {
        const detail::ElementKind* kind;
        const std::uint8_t* bytes;
      } context{kind, bytes.data()};
      detail::write_nested(
          *at, a, r.shape,
          [](std::size_t i, Value& out, Allocator&, const void* c) {
            const auto& ctx = *static_cast<const Context*>(c);
            ctx.kind->write(ctx.bytes + i * ctx.kind->size, out);
          },
          &context);
    } else if (at->IsObject()) {
      for (auto& member : at->GetObject()) pending.push_back(&member.value);
    } else if (at->IsArray()) {
      for (auto& element : at->GetArray()) pending.push_back(&element);
    }
  }
}

}  // namespace json
}  // namespace roc
