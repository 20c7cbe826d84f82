// A device with a method for every convertible type and for every failure mode, bound by hand.
// Used by the dispatch unit tests, the end-to-end tests and the child-process object server.
#pragma once

#include <roc/binding.hpp>
#include <roc/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace testing_lab {

enum class Colour { red, green, blue };

struct Point {
  double x = 0, y = 0;
  bool operator==(const Point& o) const { return x == o.x && y == o.y; }
};

struct Shape {
  std::string name;
  std::vector<Point> points;
  std::optional<Colour> colour;
  std::map<std::string, int> tags;
  bool operator==(const Shape& o) const {
    return name == o.name && points == o.points && colour == o.colour && tags == o.tags;
  }
};

inline void to_json(roc::json::Value& out, const Point& p, roc::json::Allocator& a) {
  out.SetObject();
  roc::json::write_member(out, "x", p.x, a);
  roc::json::write_member(out, "y", p.y, a);
}
inline void from_json(const roc::json::Value& in, Point& p) {
  roc::json::require_object(in, "testing_lab::Point");
  roc::json::read_member(in, "x", p.x);
  roc::json::read_member(in, "y", p.y);
}
inline void to_json(roc::json::Value& out, const Shape& s, roc::json::Allocator& a) {
  out.SetObject();
  roc::json::write_member(out, "name", s.name, a);
  roc::json::write_member(out, "points", s.points, a);
  roc::json::write_member(out, "colour", s.colour, a);
  roc::json::write_member(out, "tags", s.tags, a);
}
inline void from_json(const roc::json::Value& in, Shape& s) {
  roc::json::require_object(in, "testing_lab::Shape");
  roc::json::read_member(in, "name", s.name);
  roc::json::read_member(in, "points", s.points);
  roc::json::read_member(in, "colour", s.colour);
  roc::json::read_member(in, "tags", s.tags);
}

/// A user exception that is not a std::exception.
struct NotAStdException {};
/// A user exception type whose name must reach the caller.
struct CalibrationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A base whose builder returns itself: the binding answers null for it too.
struct Lamp {
  std::int32_t brightness = 10;
  Lamp& dim(std::int32_t by) {
    brightness -= by;
    return *this;
  }
};

class Device : public Lamp {
 public:
  explicit Device(std::string tag = "device") : tag_(std::move(tag)) {}

  template <class T>
  T echo(T value) const {
    return value;
  }
  std::int32_t add(std::int32_t a, std::int32_t b) const { return a + b; }
  std::string greet(const std::string& name, std::optional<std::string> greeting) const {
    return greeting.value_or("hello") + ", " + name;
  }
  void reset() { counter = 0; }
  void bump() { ++counter; }
  std::string tag() const { return tag_; }
  std::int64_t sleep_ms(std::int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ++calls_finished;
    return ms;
  }
  std::string big(std::uint32_t bytes) const { return std::string(bytes, 'x'); }
  void fail(const std::string& how) const {
    if (how == "runtime") throw std::runtime_error("the lamp is broken");
    if (how == "custom") throw CalibrationError("calibration drifted");
    if (how == "int") throw 42;
    if (how == "other") throw NotAStdException{};
  }
  double level() const { return level_; }
  void set_level(double level) {
    if (level < 0) throw std::out_of_range("level must not be negative");
    level_ = level;
  }
  std::string serial() const { return "SN-1"; }

  // As device headers write them: in/out references, C strings, defaults, builders.
  bool read_line(std::string& line) const {
    if (line.empty()) return false;
    line = "<" + line + ">";
    return true;
  }
  std::int32_t get_distance(std::vector<long>& data) const {
    data.push_back(static_cast<long>(data.size()));
    return static_cast<std::int32_t>(data.size());
  }
  void scale(double& value, double factor) const { value *= factor; }
  void swap_ends(std::string& first, std::string& second) const { std::swap(first, second); }
  std::uint64_t length(const char* text) const { return std::char_traits<char>::length(text); }
  const char* lamp_name(bool on) const { return on ? "lamp" : nullptr; }
  std::string configure(std::int32_t channel, bool calibrated, Colour colour) const {
    static constexpr const char* names[] = {"red", "green", "blue"};
    return std::to_string(channel) + (calibrated ? " calibrated " : " raw ") + names[static_cast<int>(colour)];
  }
  Device& set_gain(std::int32_t value) {
    gain = value;
    return *this;
  }

  std::int64_t counter = 0;
  std::int32_t gain = 0;
  const std::string firmware = "1.2.3";
  std::atomic<int> calls_finished{0};

 private:
  std::string tag_;
  double level_ = 0.5;
};

inline const roc::Binding<Device>& device_binding() {
  using namespace std::chrono;
  static const auto binding = roc::Binding<Device>("testing_lab::Device", "A device for tests.")
      .method("echo_bool", &Device::echo<bool>, {"value"})
      .method("echo_int8", &Device::echo<std::int8_t>, {"value"})
      .method("echo_uint8", &Device::echo<std::uint8_t>, {"value"})
      .method("echo_int16", &Device::echo<std::int16_t>, {"value"})
      .method("echo_uint16", &Device::echo<std::uint16_t>, {"value"})
      .method("echo_int32", &Device::echo<std::int32_t>, {"value"})
      .method("echo_uint32", &Device::echo<std::uint32_t>, {"value"})
      .method("echo_int64", &Device::echo<std::int64_t>, {"value"})
      .method("echo_uint64", &Device::echo<std::uint64_t>, {"value"})
      .method("echo_float", &Device::echo<float>, {"value"})
      .method("echo_double", &Device::echo<double>, {"value"})
      .method("echo_string", &Device::echo<std::string>, {"value"})
      .method("echo_vector", &Device::echo<std::vector<double>>, {"value"})
      .method("echo_array", &Device::echo<std::array<int, 3>>, {"value"})
      .method("echo_map", &Device::echo<std::map<std::string, int>>, {"value"})
      .method("echo_unordered_map", &Device::echo<std::unordered_map<std::string, std::string>>, {"value"})
      .method("echo_optional", &Device::echo<std::optional<std::string>>, {"value"})
      .method("echo_pair", &Device::echo<std::pair<int, std::string>>, {"value"})
      .method("echo_tuple", &Device::echo<std::tuple<int, double, std::string>>, {"value"})
      .method("echo_duration", &Device::echo<milliseconds>, {"value"})
      .method("echo_colour", &Device::echo<Colour>, {"value"})
      .method("echo_shape", &Device::echo<Shape>, {"value"})
      .method("echo_shapes", &Device::echo<std::vector<Shape>>, {"value"})
      .method("add", &Device::add, {"a", "b"}, "Adds two integers.")
      .method("greet", &Device::greet, {"name", "greeting"})
      .method("reset", &Device::reset)
      .method("bump", &Device::bump)
      .method("tag", &Device::tag)
      .method("sleep_ms", &Device::sleep_ms, {"ms"})
      .method("big", &Device::big, {"bytes"})
      .method("fail", &Device::fail, {"how"})
      .method("read_line", &Device::read_line, {"line"})
      .method("get_distance", &Device::get_distance, {"data"})
      .method("scale", &Device::scale, {"value", {"factor", "2"}})
      .method("swap_ends", &Device::swap_ends, {"first", "second"})
      .method("length", &Device::length, {"text"})
      .method("lamp_name", &Device::lamp_name, {"on"})
      .method("configure", &Device::configure, {"channel", {"calibrated", "true"}, {"colour", R"("green")"}})
      .method("with_gain", &Device::set_gain, {"value"})
      .method("dim", &Device::dim, {"by"})
      .property("counter", &Device::counter)
      .property("firmware", &Device::firmware)
      .property("level", &Device::level, &Device::set_level)
      .property("serial", &Device::serial)
      .property("gain", &Device::gain)
      .property("brightness", &Device::brightness);
  return binding;
}

}  // namespace testing_lab

template <>
struct roc::json::TypeName<testing_lab::Colour> {
  static std::string get() { return "testing_lab::Colour"; }
};
template <>
struct roc::json::EnumNames<testing_lab::Colour> {
  static constexpr std::array<std::pair<testing_lab::Colour, const char*>, 3> values{
      {{testing_lab::Colour::red, "red"}, {testing_lab::Colour::green, "green"}, {testing_lab::Colour::blue, "blue"}}};
};
template <>
struct roc::json::TypeName<testing_lab::Point> {
  static std::string get() { return "testing_lab::Point"; }
};
template <>
struct roc::json::TypeName<testing_lab::Shape> {
  static std::string get() { return "testing_lab::Shape"; }
};
template <>
struct roc::Skeleton<testing_lab::Device> {
  static const roc::Binding<testing_lab::Device>& binding() { return testing_lab::device_binding(); }
};
