// An annotated camera whose methods take and return the bulk types (roc::Bytes, roc::NdArray,
// vectors of numbers), alone and inside structs, for the end-to-end test. Each method transforms
// its argument so the test can check both directions.
#pragma once

#include <roc/annotate.hpp>
#include <roc/attachment.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frames {

/// A frame with its metadata; the pixels are a plain vector, as device code writes them.
struct ROC_STRUCT Frame {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint16_t> pixels;
  roc::Bytes header;
  roc::NdArray<float> gains;
};

class ROC_OBJECT Camera {
 public:
  /// A width × height ramp: pixel i is i modulo 65536.
  ROC_METHOD std::vector<std::uint16_t> grab(std::uint32_t width, std::uint32_t height) const {
    std::vector<std::uint16_t> pixels(std::size_t{width} * height);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint16_t>(i);
    return pixels;
  }
  ROC_METHOD roc::Bytes reversed(const roc::Bytes& data) const {
    std::vector<std::uint8_t> out(data.begin(), data.end());
    std::reverse(out.begin(), out.end());
    return roc::Bytes(std::move(out));
  }
  /// The transpose of a two-dimensional image.
  ROC_METHOD roc::NdArray<std::uint16_t> transposed(const roc::NdArray<std::uint16_t>& image) const {
    if (image.ndim() != 2) throw std::invalid_argument("transposed takes a two-dimensional image");
    std::size_t rows = image.shape()[0], cols = image.shape()[1];
    roc::NdArray<std::uint16_t> out({cols, rows});
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) out(c, r) = image(r, c);
    }
    return out;
  }
  /// The frame with every pixel inverted, its header reversed and its gains doubled.
  ROC_METHOD Frame inverted(const Frame& frame) const {
    Frame out;
    out.width = frame.width;
    out.height = frame.height;
    for (std::uint16_t p : frame.pixels) out.pixels.push_back(static_cast<std::uint16_t>(65535 - p));
    out.header = reversed(frame.header);
    out.gains = roc::NdArray<float>(frame.gains.shape());
    for (std::size_t i = 0; i < frame.gains.size(); ++i) out.gains[i] = frame.gains[i] * 2;
    return out;
  }
  /// `count` frames of `side` × `side` ramps, each with a header naming its index.
  ROC_METHOD std::vector<Frame> burst(std::uint32_t count, std::uint32_t side) const {
    std::vector<Frame> out;
    for (std::uint32_t i = 0; i < count; ++i) {
      Frame f;
      f.width = f.height = side;
      f.pixels = grab(side, side);
      f.header = roc::Bytes(std::string_view("frame " + std::to_string(i)));
      f.gains = roc::NdArray<float>({1}, {static_cast<float>(i)});
      out.push_back(std::move(f));
    }
    return out;
  }
  ROC_PROPERTY roc::Bytes calibration;
};

}  // namespace frames
