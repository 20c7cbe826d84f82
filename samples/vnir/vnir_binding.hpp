// The camera bound by hand with roc's binding API — what roc-gen writes for you from the
// annotations in vnir_camera.hpp. Kept as the example of publishing without code generation.
#pragma once

#include "vnir_camera.hpp"

#include <roc/binding.hpp>
#include <roc/json.hpp>

namespace lab {

inline void to_json(roc::json::Value& out, const Roi& roi, roc::json::Allocator& a) {
  out.SetObject();
  roc::json::write_member(out, "x", roi.x, a);
  roc::json::write_member(out, "y", roi.y, a);
  roc::json::write_member(out, "width", roi.width, a);
  roc::json::write_member(out, "height", roi.height, a);
}

inline void from_json(const roc::json::Value& in, Roi& roi) {
  roc::json::require_object(in, "lab::Roi");
  roc::json::read_member(in, "x", roi.x);
  roc::json::read_member(in, "y", roi.y);
  roc::json::read_member(in, "width", roi.width);
  roc::json::read_member(in, "height", roi.height);
}

/// The binding: one line per remote method or property.
inline const roc::Binding<VnirCamera>& vnir_camera_binding() {
  static const auto binding =
      roc::Binding<VnirCamera>("lab::VnirCamera", "A simulated VNIR camera with a 1024 x 768 sensor.")
          .method("open_shutter", &VnirCamera::open_shutter, {}, "Opens the mechanical shutter.")
          .method("close_shutter", &VnirCamera::close_shutter, {}, "Closes the mechanical shutter.")
          .method("set_roi", &VnirCamera::set_roi, {"roi"}, "Selects the sensor region read out by grab().")
          .method("roi", &VnirCamera::roi, {}, "The region read out by grab().")
          .method("grab", &VnirCamera::grab, {"lines"}, "Reads `lines` lines of the region of interest.")
          .method("frame", &VnirCamera::frame, {}, "Reads one frame of the region of interest, shaped {height, width}.")
          .method("expose", &VnirCamera::expose, {"duration"}, "Integrates for `duration`; returns the mean level.")
          .method("exposure_series", &VnirCamera::exposure_series, {"frames", "duration"},
                  "A calibration series of `frames` exposures of `duration`; reports progress, stops when cancelled.")
          .method("temperature", &VnirCamera::temperature, {}, "Sensor temperature in degrees C.")
          .method("frames_grabbed", &VnirCamera::frames_grabbed, {}, "Frames grabbed since start.")
          .property("shutter_open", &VnirCamera::shutter_open, "Whether the shutter is open.")
          .property("fps", &VnirCamera::fps, &VnirCamera::set_fps, "Line rate in frames per second.")
          .property("exposure", &VnirCamera::exposure, &VnirCamera::set_exposure, "Exposure time of one line.")
          .property("trigger", &VnirCamera::trigger, &VnirCamera::set_trigger, "Trigger source.")
          .property("model", &VnirCamera::model, "Camera model name.");
  return binding;
}

}  // namespace lab

template <>
struct roc::json::TypeName<lab::Roi> {
  static std::string get() { return "lab::Roi"; }
};
template <>
struct roc::json::TypeName<lab::TriggerMode> {
  static std::string get() { return "lab::TriggerMode"; }
};
template <>
struct roc::json::EnumNames<lab::TriggerMode> {
  static constexpr std::array<std::pair<lab::TriggerMode, const char*>, 2> values{
      {{lab::TriggerMode::internal, "internal"}, {lab::TriggerMode::external, "external"}}};
};
template <>
struct roc::Skeleton<lab::VnirCamera> {
  static const roc::Binding<lab::VnirCamera>& binding() { return lab::vnir_camera_binding(); }
};
