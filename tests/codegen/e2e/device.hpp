// An annotated device whose methods cover every type of the README's Types, for the end-to-end test.
// Each method echoes or transforms its arguments so the test can check both directions.
#pragma once

#include <roc/annotate.hpp>
#include <roc/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace e2e {

/// Colours, sent by name.
enum class ROC_ENUM Color { red, green = 7, blue };

/// A nested struct.
struct ROC_STRUCT Inner {
  std::int32_t id = 0;
  std::optional<std::string> label;  ///< null when absent
};

/// A struct holding the containers.
struct ROC_STRUCT Outer {
  Inner inner;
  std::vector<Inner> items;
  std::map<std::string, Color> colors;
  std::array<double, 3> position{};
  std::tuple<bool, std::string, std::int64_t> triple;
  std::chrono::milliseconds timeout{0};
};

/// A type with hand-written conversions (found by ADL), which roc-gen leaves alone.
struct Celsius {
  double value = 0;
};
inline void to_json(roc::json::Value& out, const Celsius& c, roc::json::Allocator&) { out.SetDouble(c.value); }
inline void from_json(const roc::json::Value& in, Celsius& c) { c.value = roc::json::decode_as<double>(in); }

/// Methods every device has, inherited by Device.
class ROC_OBJECT Base {
 public:
  virtual ~Base() = default;
  /// The device's name.
  ROC_METHOD std::string name() const { return "e2e"; }
};

/// The test device.
class ROC_OBJECT Device : public Base {
 public:
  ROC_METHOD bool flip(bool b) { return !b; }
  ROC_METHOD std::tuple<std::int8_t, std::int16_t, std::int32_t, std::int64_t> signed_ints(
      std::int8_t a, std::int16_t b, std::int32_t c, std::int64_t d) {
    return {a, b, c, d};
  }
  ROC_METHOD std::tuple<std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t> unsigned_ints(
      std::uint8_t a, std::uint16_t b, std::uint32_t c, std::uint64_t d) {
    return {a, b, c, d};
  }
  ROC_METHOD double scale(float f, double d) const { return static_cast<double>(f) * d; }
  ROC_METHOD std::string greet(const std::string& who) { return "hello " + who; }
  /// Returns the outer struct with one more item.
  ROC_METHOD Outer grow(const Outer& outer) {
    Outer copy = outer;
    copy.items.push_back(Inner{static_cast<std::int32_t>(copy.items.size()), std::nullopt});
    return copy;
  }
  ROC_METHOD std::vector<Outer> many(std::uint32_t n) { return std::vector<Outer>(n); }
  ROC_METHOD std::array<std::int32_t, 3> reverse(std::array<std::int32_t, 3> v) { return {v[2], v[1], v[0]}; }
  ROC_METHOD std::unordered_map<std::string, std::vector<std::int32_t>> index(
      const std::map<std::string, std::int32_t>& counts) {
    std::unordered_map<std::string, std::vector<std::int32_t>> out;
    for (const auto& [k, n] : counts) out[k] = std::vector<std::int32_t>(static_cast<std::size_t>(n), n);
    return out;
  }
  ROC_METHOD std::optional<std::int32_t> half(std::optional<std::int32_t> v) {
    if (!v || *v % 2 != 0) return std::nullopt;
    return *v / 2;
  }
  ROC_METHOD std::pair<std::string, double> pair(std::pair<double, std::string> p) { return {p.second, p.first}; }
  ROC_METHOD std::chrono::microseconds longer(std::chrono::milliseconds a, std::chrono::duration<double> b) {
    return std::chrono::duration_cast<std::chrono::microseconds>(a + b);
  }
  ROC_METHOD Color next(Color c) { return c == Color::red ? Color::green : c == Color::green ? Color::blue : Color::red; }
  ROC_METHOD Celsius warmer(Celsius c) { return Celsius{c.value + 1}; }
  ROC_METHOD roc::Json raw(const roc::Json& j) { return j; }
  ROC_METHOD void reset() { ++resets; }
  ROC_METHOD_AS("fail_now") void fail() { throw std::runtime_error("asked to fail"); }
  /// An out-parameter: `line` travels in and comes back with " +" appended.
  ROC_METHOD bool next_line(std::string& line) {
    line += " +";
    return true;
  }
  /// Defaults, as a device header has them: callers may leave out `by` and `towards`.
  ROC_METHOD double offset(double x, double by = 0.5, Color towards = Color::green) const {
    return towards == Color::green ? x + by : x - by;
  }

  /// Frames per second (getter and setter).
  ROC_PROPERTY double fps() const { return fps_; }
  void set_fps(double fps) { fps_ = fps; }
  ROC_PROPERTY std::string model() const { return "E2E-1"; }
  ROC_PROPERTY Color color = Color::blue;
  ROC_PROPERTY const std::uint32_t serial = 42;

  int resets = 0;

 private:
  double fps_ = 10;
};

}  // namespace e2e
