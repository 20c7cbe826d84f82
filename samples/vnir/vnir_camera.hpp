// A simulated VNIR line-scan camera: the sample device that roc's docs, demo and tests use.
#pragma once

#include <roc/annotate.hpp>
#include <roc/attachment.hpp>
#include <roc/call_context.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace lab {

/// A region of interest on the sensor, in pixels.
struct ROC_STRUCT Roi {
  std::uint32_t x = 0;
  std::uint32_t y = 0;
  std::uint32_t width = 1024;
  std::uint32_t height = 768;
};

/// Where exposures are triggered from.
enum class ROC_ENUM TriggerMode { internal, external };

/// A simulated VNIR camera with a 1024 × 768 sensor. Not thread-safe: roc serializes the calls.
class ROC_OBJECT VnirCamera {
 public:
  static constexpr std::uint32_t sensor_width = 1024;
  static constexpr std::uint32_t sensor_height = 768;

  /// Opens the mechanical shutter.
  ROC_METHOD void open_shutter();
  /// Closes the mechanical shutter; grabs then return dark frames.
  ROC_METHOD void close_shutter();
  /// Whether the shutter is open.
  ROC_PROPERTY bool shutter_open() const;

  /// Line rate in frames per second, 0 < fps <= 400.
  ROC_PROPERTY double fps() const;
  /// Sets the line rate; throws std::out_of_range outside 0 < fps <= 400.
  void set_fps(double fps);

  /// Exposure time of one line.
  ROC_PROPERTY std::chrono::microseconds exposure() const;
  /// Sets the exposure; throws std::out_of_range unless 10 us <= exposure <= 10 s.
  void set_exposure(std::chrono::microseconds exposure);

  /// Selects the sensor region read out by grab(); throws std::invalid_argument when the region
  /// is empty or leaves the sensor.
  ROC_METHOD void set_roi(const Roi& roi);
  /// The region read out by grab().
  ROC_METHOD Roi roi() const;

  /// Trigger source.
  ROC_PROPERTY TriggerMode trigger() const;
  void set_trigger(TriggerMode mode);

  /// Reads `lines` lines of the region of interest (row-major, 12-bit values in 16-bit words).
  /// Throws std::invalid_argument when lines is 0 or more than 100000.
  ROC_METHOD std::vector<std::uint16_t> grab(std::uint32_t lines);
  /// Reads one frame of the region of interest, as grab(roi().height) does, shaped {height,
  /// width}: an image to numpy (`roc call vnir frame --save frame.npy`) and to image tools.
  ROC_METHOD roc::NdArray<std::uint16_t> frame();

  /// Integrates for `duration` (blocking, like a long dark exposure) and returns the mean level.
  ROC_METHOD double expose(std::chrono::milliseconds duration);
  /// A calibration series: `frames` exposures of `duration` each (1 to 1000 frames), returning
  /// the mean level of each. Reports progress after every frame, with the frame's level as data,
  /// and stops at once when the caller cancels.
  ROC_METHOD std::vector<double> exposure_series(std::uint32_t frames, std::chrono::milliseconds duration,
                                                 roc::CallContext& context);

  /// Sensor temperature in °C (simulated drift).
  ROC_METHOD double temperature() const;
  /// Frames grabbed since start.
  ROC_METHOD std::uint64_t frames_grabbed() const;

  /// Camera model name.
  ROC_PROPERTY std::string model() const;

 private:
  bool shutter_open_ = false;
  double fps_ = 100.0;
  std::chrono::microseconds exposure_{5000};
  Roi roi_{};
  TriggerMode trigger_ = TriggerMode::internal;
  std::uint64_t frames_ = 0;
  std::uint64_t noise_ = 42;  ///< xorshift64 state: cheap enough for 100 full frames/s
};

}  // namespace lab
