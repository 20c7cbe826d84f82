// Splits a libFuzzer input into the pieces a target feeds to roc: single bytes (choices) and
// length-prefixed byte strings (frames, paths, JSON texts). The scheme is tiny so seeds can be
// written by hand (corpus/make_seeds.sh) and the fuzzer's mutations stay meaningful.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace roc::fuzz {

/// Reads the input front to back. Everything past the end reads as empty or zero, so any byte
/// string is a valid input.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const noexcept { return pos_ >= size_; }

  /// The next byte, or 0 at the end.
  std::uint8_t byte() noexcept { return empty() ? 0 : data_[pos_++]; }

  /// A piece: a 2-byte big-endian length, then that many bytes (fewer when the input ends first).
  std::string_view piece() noexcept {
    std::size_t length = std::size_t{byte()} << 8;
    length |= byte();
    const std::size_t available = size_ - pos_;
    if (length > available) length = available;
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace roc::fuzz
