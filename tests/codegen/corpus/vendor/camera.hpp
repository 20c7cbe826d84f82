// Part of the vendor SDK: only through vendor/vendor.hpp. It uses the SDK's typedefs, which
// only the umbrella brings in.
#pragma once
#ifndef VENDOR_SDK_UMBRELLA
#error "include <vendor/vendor.hpp>, not this file"
#endif

#include <roc/annotate.hpp>

#include <string>

namespace vendor {

/// The frame geometry.
struct ROC_STRUCT Geometry {
  u32 width = 640;
  u32 height = 480;
};

/// A camera of the vendor's SDK.
class ROC_OBJECT Camera {
 public:
  /// Sets the exposure time, in µs.
  ROC_METHOD void set_exposure(exposure_us_t exposure);
  ROC_METHOD exposure_us_t exposure() const;
  ROC_METHOD Geometry geometry() const;

 private:
  exposure_us_t exposure_ = 1000.0;
};

}  // namespace vendor
