// A range-finder library in the shape of plugin-style device SDKs: the annotated interface is
// pure virtual, and each implementation is published through it, so every client uses one proxy
// (RangeFinderProxy) whatever the hardware behind an id.
#pragma once

#include <roc/annotate.hpp>

#include <string>

namespace optics {

/// What every range finder offers.
class ROC_OBJECT RangeFinder {
 public:
  virtual ~RangeFinder() = default;

  /// The last distance measured, in metres.
  ROC_METHOD virtual double distance_m() = 0;
  /// Averages the next measurements over `samples` readings.
  ROC_METHOD virtual void set_averaging(unsigned samples) = 0;
  /// The instrument's model name.
  ROC_PROPERTY virtual std::string model() const = 0;
};

/// An ultrasonic sensor: short range, coarse.
class UltrasonicRangeFinder : public RangeFinder {
 public:
  double distance_m() override { return 0.25 * samples_; }
  void set_averaging(unsigned samples) override { samples_ = samples; }
  std::string model() const override { return "US-100"; }

 private:
  unsigned samples_ = 1;
};

/// A laser sensor: long range, fine.
class LaserRangeFinder final : public RangeFinder {
 public:
  double distance_m() override { return 42.5 + samples_; }
  void set_averaging(unsigned samples) override { samples_ = samples; }
  std::string model() const override { return "LRF-3000"; }

 private:
  unsigned samples_ = 0;
};

}  // namespace optics
