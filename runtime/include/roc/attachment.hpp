// Bulk values that travel as binary attachments (idl/PROTOCOL.md §3.3): roc::Bytes and
// roc::NdArray<T>, and the plumbing that lets any codec, at any depth, put its bytes into a frame
// of their own instead of spelling them out as JSON numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace roc {

/// Element types an attachment may hold: the IDL's numeric scalars (bool is not one: a
/// std::vector<bool> has no contiguous bytes to send).
template <class T>
inline constexpr bool is_attachment_element_v =
    std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && (sizeof(T) <= 8);

/// A block of bytes (IDL `bytes`): an image file, a firmware blob, a raw sensor read-out. It travels
/// as an attachment, or as a base64 string to peers that speak only JSON.
///
/// Copies share the bytes, as copies of a cv::Mat or numpy views do, so passing one around never
/// copies a megabyte; clone() makes an independent copy. A received Bytes views the message it
/// arrived in, without a copy.
class Bytes {
 public:
  Bytes() = default;
  /// Takes `data` without copying it.
  explicit Bytes(std::vector<std::uint8_t> data) {
    auto owned = std::make_shared<std::vector<std::uint8_t>>(std::move(data));
    data_ = owned->data();
    size_ = owned->size();
    owner_ = std::move(owned);
  }
  /// Copies `size` bytes from `data`.
  Bytes(const void* data, std::size_t size)
      : Bytes(std::vector<std::uint8_t>(static_cast<const std::uint8_t*>(data),
                                        static_cast<const std::uint8_t*>(data) + size)) {}
  /// Copies the bytes of `text`.
  explicit Bytes(std::string_view text) : Bytes(text.data(), text.size()) {}

  std::uint8_t* data() noexcept { return data_; }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint8_t* begin() noexcept { return data_; }
  std::uint8_t* end() noexcept { return data_ + size_; }
  const std::uint8_t* begin() const noexcept { return data_; }
  const std::uint8_t* end() const noexcept { return data_ + size_; }
  std::uint8_t& operator[](std::size_t i) noexcept { return data_[i]; }
  const std::uint8_t& operator[](std::size_t i) const noexcept { return data_[i]; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }

  /// An independent copy.
  Bytes clone() const { return Bytes(data_, size_); }
  friend bool operator==(const Bytes& a, const Bytes& b) noexcept { return a.view() == b.view(); }
  friend bool operator!=(const Bytes& a, const Bytes& b) noexcept { return !(a == b); }

  /// Bytes that live in memory `owner` keeps alive (a received frame): for codecs.
  static Bytes adopt(std::shared_ptr<void> owner, std::uint8_t* data, std::size_t size) {
    Bytes b;
    b.owner_ = std::move(owner);
    b.data_ = data;
    b.size_ = size;
    return b;
  }
  const std::shared_ptr<void>& owner() const noexcept { return owner_; }

 private:
  std::shared_ptr<void> owner_;
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

/// An N-dimensional array of numbers in row-major (C) order (IDL `ndarray<T>`): a camera frame is
/// an NdArray<std::uint16_t> of shape {height, width}. It travels as an attachment with its shape,
/// or as nested JSON arrays to peers that speak only JSON.
///
/// Copies share the elements, as copies of a cv::Mat or numpy views do; clone() makes an
/// independent copy. A received array views the message it arrived in when the bytes are aligned
/// for T (else it is copied once).
template <class T>
class NdArray {
  static_assert(is_attachment_element_v<T>, "roc::NdArray holds numbers: an integer or floating-point type");

 public:
  using value_type = T;
  using Shape = std::vector<std::size_t>;

  /// An empty one-dimensional array (shape {0}).
  NdArray() : shape_{0} {}
  /// An array of `shape` filled with zeros.
  explicit NdArray(Shape shape) : NdArray(shape, std::vector<T>(element_count(shape))) {}
  /// An array of `shape` holding `data` (taken without copying); its size must be the product of
  /// the shape's dimensions.
  NdArray(Shape shape, std::vector<T> data) : shape_(std::move(shape)) {
    if (element_count(shape_) != data.size())
      throw std::invalid_argument("roc::NdArray: " + std::to_string(data.size()) +
                                  " elements do not fill the shape (which holds " +
                                  std::to_string(element_count(shape_)) + ")");
    auto owned = std::make_shared<std::vector<T>>(std::move(data));
    data_ = owned->data();
    owner_ = std::move(owned);
  }

  const Shape& shape() const noexcept { return shape_; }
  std::size_t ndim() const noexcept { return shape_.size(); }
  /// The number of elements.
  std::size_t size() const noexcept { return element_count(shape_); }
  std::size_t size_bytes() const noexcept { return size() * sizeof(T); }
  bool empty() const noexcept { return size() == 0; }
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size(); }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size(); }
  /// Element `i` in row-major order.
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  /// The element at (row, column, ...): one index per dimension.
  template <class... I>
  T& operator()(I... index) noexcept {
    return data_[offset({static_cast<std::size_t>(index)...})];
  }
  template <class... I>
  const T& operator()(I... index) const noexcept {
    return data_[offset({static_cast<std::size_t>(index)...})];
  }

  /// An independent copy.
  NdArray clone() const { return NdArray(shape_, to_vector()); }
  std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }
  friend bool operator==(const NdArray& a, const NdArray& b) noexcept {
    return a.shape_ == b.shape_ && (a.size() == 0 || std::memcmp(a.data_, b.data_, a.size_bytes()) == 0);
  }
  friend bool operator!=(const NdArray& a, const NdArray& b) noexcept { return !(a == b); }

  /// An array whose elements live in memory `owner` keeps alive (a received frame): for codecs.
  static NdArray adopt(Shape shape, std::shared_ptr<void> owner, T* data) {
    NdArray array;
    array.shape_ = std::move(shape);
    array.owner_ = std::move(owner);
    array.data_ = data;
    return array;
  }
  const std::shared_ptr<void>& owner() const noexcept { return owner_; }

  /// The number of elements of `shape`; 0 for no dimensions at all.
  static std::size_t element_count(const Shape& shape) noexcept {
    if (shape.empty()) return 0;
    return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
  }

 private:
  std::size_t offset(std::initializer_list<std::size_t> index) const noexcept {
    std::size_t flat = 0, d = 0;
    for (auto i : index) flat = flat * shape_[d++] + i;
    return flat;
  }

  Shape shape_;
  std::shared_ptr<void> owner_;
  T* data_ = nullptr;
};

namespace detail {

/// One attachment to send: its bytes and what keeps them alive until ZeroMQ has sent them.
struct OutgoingAttachment {
  const void* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const void> owner;
};

/// One received attachment: a frame, kept alive by `owner`.
struct IncomingAttachment {
  void* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<void> owner;
};

/// Collects the values written as attachments while a message is encoded on this thread (see
/// SinkScope). Codecs ask it, at any depth, whether a value should become an attachment.
class AttachmentSink {
 public:
  explicit AttachmentSink(std::size_t min_bytes) : min_bytes_(min_bytes) {}

  /// Whether a value of `bytes` bytes goes as an attachment rather than as JSON.
  bool wants(std::size_t bytes) const noexcept { return bytes >= min_bytes_; }
  /// Adds an attachment and returns its index. Without an `owner` the bytes are copied now: the
  /// value being encoded may be a temporary that is gone before the message is sent.
  std::size_t add(const void* data, std::size_t size, std::shared_ptr<const void> owner) {
    if (!owner) {
      const auto* bytes = static_cast<const std::uint8_t*>(data);
      auto copy = std::make_shared<const std::vector<std::uint8_t>>(bytes, bytes + size);
      data = copy->data();
      owner = std::move(copy);
    }
    items_.push_back(OutgoingAttachment{data, size, std::move(owner)});
    return items_.size() - 1;
  }
  /// Says that the value at `object` lives in `owner` until the message is sent, so its bytes can
  /// go without a copy. Only that very value (a result the dispatcher holds) is meant: a codec may
  /// encode temporaries of its own, which must be copied.
  void own(const void* object, std::shared_ptr<const void> owner) {
    owned_object_ = object;
    owned_by_ = std::move(owner);
  }
  /// The owner of the value at `object`, if own() named it; else null.
  std::shared_ptr<const void> owner_of(const void* object) const {
    return object == owned_object_ ? owned_by_ : nullptr;
  }

  std::vector<OutgoingAttachment>& items() noexcept { return items_; }
  std::size_t size() const noexcept { return items_.size(); }
  /// Drops the attachments from index `count` on (a response that could not be written).
  void truncate(std::size_t count) {
    if (count < items_.size()) items_.resize(count);
  }

 private:
  std::size_t min_bytes_;
  std::vector<OutgoingAttachment> items_;
  const void* owned_object_ = nullptr;
  std::shared_ptr<const void> owned_by_;
};

/// The attachments of a received message, for the codecs that decode its references.
class AttachmentSource {
 public:
  AttachmentSource() = default;
  explicit AttachmentSource(std::vector<IncomingAttachment> items) : items_(std::move(items)) {}
  std::size_t size() const noexcept { return items_.size(); }
  IncomingAttachment& operator[](std::size_t i) noexcept { return items_[i]; }

 private:
  std::vector<IncomingAttachment> items_;
};

/// Makes a sink (or source) the one in effect on this thread until destroyed; nests. Thread-local
/// rather than passed down: between the message and a vector deep inside it sit codecs users wrote
/// (to_json/from_json), whose signatures carry no such thing.
template <class T>
class ThreadScope {
 public:
  explicit ThreadScope(T* value) noexcept : previous_(slot()) { slot() = value; }
  ~ThreadScope() { slot() = previous_; }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;
  /// The one in effect on this thread, or null.
  static T* current() noexcept { return slot(); }

 private:
  static T*& slot() noexcept;
  T* previous_;
};
template <>
AttachmentSink*& ThreadScope<AttachmentSink>::slot() noexcept;
template <>
AttachmentSource*& ThreadScope<AttachmentSource>::slot() noexcept;

using SinkScope = ThreadScope<AttachmentSink>;
using SourceScope = ThreadScope<AttachmentSource>;
inline AttachmentSink* current_sink() noexcept { return SinkScope::current(); }
inline AttachmentSource* current_source() noexcept { return SourceScope::current(); }

}  // namespace detail
}  // namespace roc
