// A hand-built IDL model shared by the emitter and IDL tests: one object using a struct and an enum.
#pragma once

#include "model/idl.hpp"
#include "model/signature.hpp"

#include <utility>

namespace roc::idl::test {

inline Param param(std::string name, std::string type, std::string default_value = {}, std::string default_cxx = {}) {
  Param p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.default_value = std::move(default_value);
  p.default_cxx = std::move(default_cxx);
  return p;
}

inline Method method(std::string name, std::string cxx_name, std::vector<Param> params, std::string returns = "void") {
  Method m;
  m.name = std::move(name);
  m.cxx_name = std::move(cxx_name);
  m.params = std::move(params);
  m.returns = std::move(returns);
  return m;
}

inline Document sample_document() {
  Document d;
  d.source = "motor.hpp";
  TypeDecl dir;
  dir.kind = TypeKind::enumeration;
  dir.name = "lab::Direction";
  dir.doc = "Which way to move.";
  dir.values = {{"forward", 0, ""}, {"backward", 1, "Towards home."}};
  TypeDecl move;
  move.kind = TypeKind::structure;
  move.name = "lab::Move";
  move.fields = {{"steps", "int32", "", "How far."}, {"direction", "lab::Direction", "", ""},
                 {"note", "optional<string>", "", ""}};
  d.types = {dir, move};
  Object o;
  o.name = "lab::Motor";
  o.doc = "A stepper motor.";
  Method go;
  go.name = "go";
  go.params = {param("move", "lab::Move"), param("timeout", "duration<int64,ms>")};
  go.returns = "array<int32>";
  go.doc = "Moves and returns the positions passed.";
  Method stop;
  stop.name = "stop";
  stop.cxx_name = "halt";
  Property speed;
  speed.name = "speed";
  speed.type = "double";
  speed.getter = "speed";
  speed.setter = "set_speed";
  Property model;
  model.name = "model";
  model.type = "string";
  model.readonly = true;
  model.member = "model";
  o.methods = {go, stop};
  o.properties = {speed, model};
  d.objects = {o};
  d.objects[0].signature = compute_signature(d.objects[0], d);
  return d;
}

/// A device header's harder parts: overloads (one set the proxy can keep, one it cannot), in/out
/// parameters, defaults, a builder, and an enum from another header.
inline Document device_document() {
  Document d;
  d.source = "spectrometer.hpp";
  TypeDecl mode;
  mode.kind = TypeKind::enumeration;
  mode.name = "lab::Mode";
  mode.values = {{"fast", 0, ""}, {"precise", 1, ""}};
  mode.generated_elsewhere = true;
  mode.location = Location{"/src/lab/include/lab/mode.hpp", 4, 12};
  TypeDecl unused = mode;
  unused.name = "lab::Unused";
  d.types = {mode, unused};

  Object o;
  o.name = "lab::Spectrometer";
  Param line = param("line", "string");
  line.inout = true;
  Method read_line = method("read_line", "read", {line}, "bool");
  read_line.pointer_type = "bool (::lab::Spectrometer::*)(std::string&)";
  read_line.doc = "Reads one line into `line`; false at the end.";
  Method read_count = method("read_count", "read", {param("count", "int32")}, "string");
  read_count.pointer_type = "std::string (::lab::Spectrometer::*)(int)";
  // open(const char*) and open(const std::string&): the same IDL types, so wire names in the proxy.
  Method open_c = method("open_c", "open", {param("path", "string")});
  open_c.pointer_type = "void (::lab::Spectrometer::*)(const char*)";
  Method open_s = method("open_s", "open", {param("path", "string")});
  open_s.pointer_type = "void (::lab::Spectrometer::*)(const std::string&)";
  Method measure = method("measure", "",
                          {param("channel", "int32"), param("calibrated", "bool", "true"),
                           param("mode", "lab::Mode", "\"fast\""), param("label", "string", "\"dark \\\"1\\\"\""),
                           param("average", "optional<int32>", "null"), param("weights", "array<double>", "[]")},
                          "double");
  // `scale` has a default, but `points` after it has none that C++ can spell: neither gets one.
  Method integrate = method("integrate", "",
                            {param("time", "int32", "100", "100"), param("scale", "double", "1.5"),
                             param("points", "array<int32>", "[1,2]"), param("gain", "uint64", "18446744073709551615")});
  Method set_gain = method("set_gain", "", {param("gain", "double")});
  set_gain.returns_self = true;
  set_gain.returns_cxx = "lab::Spectrometer&";
  Property exposure;
  exposure.name = "exposure";
  exposure.type = "double";
  exposure.getter = "exposure";
  exposure.setter = "set_exposure";
  o.methods = {read_line, read_count, open_c, open_s, measure, integrate, set_gain};
  o.properties = {exposure};
  d.objects = {o};
  d.objects[0].signature = compute_signature(d.objects[0], d);
  return d;
}

/// A camera with a long call: a method that took a roc::CallContext (not in the params) and is
/// therefore marked progress and cancellable, beside an ordinary one.
inline Document camera_document() {
  Document d;
  d.source = "camera.hpp";
  Object o;
  o.name = "lab::Camera";
  Method series = method("exposure_series", "", {param("frames", "int32"), param("seconds", "double", "1.0")},
                         "array<double>");
  series.doc = "Takes `frames` exposures, reporting each.";
  series.progress = series.cancellable = true;
  Method calibrate = method("calibrate", "", {});
  calibrate.progress = calibrate.cancellable = true;
  Method temperature = method("temperature", "", {}, "double");
  o.methods = {series, calibrate, temperature};
  d.objects = {o};
  d.objects[0].signature = compute_signature(d.objects[0], d);
  return d;
}

}  // namespace roc::idl::test
