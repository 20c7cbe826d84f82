// The simulated camera's behaviour: value checks like a real driver's, synthetic pixels.
#include "vnir_camera.hpp"

#include <roc/error.hpp>

#include <spdlog/spdlog.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace lab {

void VnirCamera::open_shutter() { shutter_open_ = true; }
void VnirCamera::close_shutter() { shutter_open_ = false; }
bool VnirCamera::shutter_open() const { return shutter_open_; }

double VnirCamera::fps() const { return fps_; }
void VnirCamera::set_fps(double fps) {
  if (!(fps > 0.0 && fps <= 400.0))
    throw std::out_of_range("fps must be in (0, 400], got " + std::to_string(fps));
  fps_ = fps;
  spdlog::info("frame rate set to {} fps", fps);  // something for `roc logs -f` to show (README)
}

std::chrono::microseconds VnirCamera::exposure() const { return exposure_; }
void VnirCamera::set_exposure(std::chrono::microseconds exposure) {
  if (exposure < std::chrono::microseconds(10) || exposure > std::chrono::seconds(10))
    throw std::out_of_range("exposure must be between 10 us and 10 s, got " + std::to_string(exposure.count()) +
                            " us");
  exposure_ = exposure;
}

void VnirCamera::set_roi(const Roi& roi) {
  if (roi.width == 0 || roi.height == 0) throw std::invalid_argument("the region of interest is empty");
  if (roi.x + roi.width > sensor_width || roi.y + roi.height > sensor_height)
    throw std::invalid_argument("the region of interest (" + std::to_string(roi.x) + "+" + std::to_string(roi.width) +
                                ", " + std::to_string(roi.y) + "+" + std::to_string(roi.height) +
                                ") leaves the 1024 x 768 sensor");
  roi_ = roi;
}
Roi VnirCamera::roi() const { return roi_; }

TriggerMode VnirCamera::trigger() const { return trigger_; }
void VnirCamera::set_trigger(TriggerMode mode) { trigger_ = mode; }

std::vector<std::uint16_t> VnirCamera::grab(std::uint32_t lines) {
  if (lines == 0 || lines > 100000)
    throw std::invalid_argument("lines must be between 1 and 100000, got " + std::to_string(lines));
  std::vector<std::uint16_t> pixels(static_cast<std::size_t>(lines) * roi_.width);
  // A smooth spectrum along the line plus sensor noise, clipped to 12 bits. The spectrum is the
  // same on every line, and one 64-bit xorshift draw makes the noise of 16 pixels (4 bits each):
  // a full frame takes about a millisecond, so the demo's frame rate is mostly roc's, not this loop's.
  const double gain = shutter_open_ ? exposure_.count() / 5000.0 : 0.0;
  std::vector<std::uint32_t> spectrum(roi_.width);
  for (std::uint32_t column = 0; column < roi_.width; ++column)
    spectrum[column] = static_cast<std::uint32_t>(gain * 2000.0 * (1.0 + std::sin((roi_.x + column) * 0.01)) + 64);
  for (std::size_t line = 0; line < lines; ++line) {
    std::uint16_t* out = pixels.data() + line * roi_.width;
    for (std::uint32_t column = 0; column < roi_.width; column += 16) {
      noise_ ^= noise_ << 13;
      noise_ ^= noise_ >> 7;
      noise_ ^= noise_ << 17;
      const std::uint64_t bits = noise_;
      const std::uint32_t n = std::min<std::uint32_t>(16, roi_.width - column);
      for (std::uint32_t k = 0; k < n; ++k)
        out[column + k] = static_cast<std::uint16_t>(
            std::min<std::uint32_t>(4095, spectrum[column + k] + static_cast<std::uint32_t>((bits >> (4 * k)) & 15u)));
    }
  }
  ++frames_;
  return pixels;
}

roc::NdArray<std::uint16_t> VnirCamera::frame() {
  return roc::NdArray<std::uint16_t>({roi_.height, roi_.width}, grab(roi_.height));
}

double VnirCamera::expose(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
  return shutter_open_ ? 1000.0 : 64.0;
}

std::vector<double> VnirCamera::exposure_series(std::uint32_t frames, std::chrono::milliseconds duration,
                                                roc::CallContext& context) {
  if (frames == 0 || frames > 1000)
    throw std::invalid_argument("frames must be from 1 to 1000, got " + std::to_string(frames));
  std::vector<double> levels;
  levels.reserve(frames);
  for (std::uint32_t i = 1; i <= frames; ++i) {
    // Waiting on the context rather than sleeping: a cancel ends the exposure at once.
    if (context.wait_cancelled(duration))
      throw roc::Cancelled("cancelled: the exposure series stopped after " + std::to_string(i - 1) + " of " +
                           std::to_string(frames) + " frames");
    const double level = (shutter_open_ ? 1000.0 : 64.0) + 0.5 * static_cast<double>(i % 7);
    levels.push_back(level);
    ++frames_;
    context.progress(static_cast<double>(i) / frames,
                     "frame " + std::to_string(i) + " of " + std::to_string(frames),
                     roc::Json::parse("{\"level\":" + std::to_string(level) + "}"));
  }
  return levels;
}

double VnirCamera::temperature() const { return 21.5 + 0.01 * static_cast<double>(frames_ % 100); }
std::uint64_t VnirCamera::frames_grabbed() const { return frames_; }
std::string VnirCamera::model() const { return "VNIR-1024 (simulated)"; }

}  // namespace lab
