// The emitters on a hand-built model against expected text: small pieces inline, the whole
// generated header against golden files (ROC_UPDATE_GOLDEN=1 rewrites them after a deliberate change).
#include "emit/emitters.hpp"
#include "emit/printer.hpp"
#include "model/idl_json.hpp"
#include "model/signature.hpp"
#include "model_fixture.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace roc::gen;

namespace {

void check_golden(const std::string& name, const std::string& actual) {
  std::string path = std::string(ROC_TEST_GOLDEN_DIR) + "/" + name;
  if (std::getenv("ROC_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << path << " (run with ROC_UPDATE_GOLDEN=1)");
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(actual == expected.str());
}

}  // namespace

TEST_CASE("the printer fills named holes and indents every line it writes") {
  Printer p;
  p.print("struct $name$ {\n", {{"name", "A"}});
  p.indent();
  p.print("int $field$;\n\n$body$\n", {{"field", "x"}, {"body", "a();\nb();"}});
  p.outdent();
  p.print("};  // costs $$$n$\n", {{"n", "3"}});
  CHECK(p.str() == "struct A {\n  int x;\n\n  a();\n  b();\n};  // costs $3\n");
  CHECK_THROWS_AS(p.print("$missing$"), std::logic_error);
  CHECK_THROWS_AS(p.outdent(), std::logic_error);
}

TEST_CASE("sections come out in their declared order, separated by one blank line") {
  Sections s({"banner", "includes", "body"});
  s["body"].print("body\n");
  s["banner"].print("// banner\n");
  CHECK(s.str() == "// banner\n\nbody\n");
  CHECK_THROWS_AS(s["nope"], std::logic_error);
}

TEST_CASE("struct codecs write and read every field by name") {
  Printer p;
  emit_codecs(test::sample_document(), p);
  const std::string& out = p.str();
  CHECK(out.find("inline void to_json(::roc::json::Value& out, const Move& value, ::roc::json::Allocator& alloc) {\n"
                 "  out.SetObject();\n"
                 "  ::roc::json::write_member(out, \"steps\", value.steps, alloc);\n") != std::string::npos);
  CHECK(out.find("  ::roc::json::read_member(in, \"note\", value.note);\n") != std::string::npos);
  CHECK(out.find("{::lab::Direction::backward, \"backward\"},") != std::string::npos);
  CHECK(out.find("struct roc::json::TypeName<::lab::Move> {\n  static std::string get() { return \"lab::Move\"; }") !=
        std::string::npos);
}

TEST_CASE("proxies have one typed method per remote method and accessors per property") {
  Printer p;
  EmitOptions options;
  emit_proxies(test::sample_document(), options, p);
  const std::string& out = p.str();
  CHECK(out.find("  /// Moves and returns the positions passed.\n"
                 "  std::vector<std::int32_t> go(const lab::Move& move, std::chrono::duration<std::int64_t, "
                 "std::milli> timeout) const {\n"
                 "    return handle_.call<std::vector<std::int32_t>>(\"go\", move, timeout);\n") != std::string::npos);
  CHECK(out.find("  void stop() const {\n    handle_.call<void>(\"stop\");\n") != std::string::npos);
  CHECK(out.find("void set_speed(double value) const") != std::string::npos);
  CHECK(out.find("set_model") == std::string::npos);  // read-only
  CHECK(out.find("std::future<void> stop() const") != std::string::npos);
  CHECK(out.find("struct roc::ProxyFor<::lab::Motor>") != std::string::npos);
}

TEST_CASE("bytes and ndarrays are passed by const reference and bring roc/attachment.hpp along") {
  Document d = test::sample_document();
  d.objects[0].methods[0].params.push_back(test::param("mask", "ndarray<uint16>"));
  d.objects[0].methods[0].returns = "bytes";
  d.types[1].fields.push_back(Field{"blob", "bytes", "", ""});
  d.objects[0].signature = roc::idl::compute_signature(d.objects[0], d);
  EmitOptions options;
  options.source_name = "motor.idl.json";
  options.from_idl = true;
  std::string out = emit_header(d, options);
  CHECK(out.find("#include <roc/json.hpp>\n#include <roc/attachment.hpp>\n") != std::string::npos);
  CHECK(out.find("  roc::Bytes go(const lab::Move& move, std::chrono::duration<std::int64_t, std::milli> timeout, "
                 "const roc::NdArray<std::uint16_t>& mask) const {\n"
                 "    return handle_.call<roc::Bytes>(\"go\", move, timeout, mask);\n") != std::string::npos);
  CHECK(out.find("  roc::Bytes blob{};\n") != std::string::npos);
  // Only where they are used: the header of the plain sample stays as it was (see its golden file).
  CHECK(emit_header(test::sample_document(), options).find("attachment") == std::string::npos);
}

TEST_CASE("skeletons bind through member pointers, C++ names where they differ from wire names") {
  Printer p;
  emit_skeletons(test::sample_document(), p);
  const std::string& out = p.str();
  CHECK(out.find(".method(\"stop\", &::lab::Motor::halt, {}, \"\")") != std::string::npos);
  CHECK(out.find(".property(\"speed\", &::lab::Motor::speed, &::lab::Motor::set_speed, \"\")") != std::string::npos);
  CHECK(out.find(".property(\"model\", &::lab::Motor::model, \"\")") != std::string::npos);
  CHECK(out.find(".signature(\"" + test::sample_document().objects[0].signature + "\")") != std::string::npos);
  CHECK(out.find("static constexpr const char* idl = R\"roc_idl({\n  \"roc_idl\": 1,") != std::string::npos);
}

TEST_CASE("the generated header from a header matches its golden file") {
  EmitOptions options;
  options.source_name = "motor.hpp";
  options.include_header = "lab/motor.hpp";
  check_golden("motor.roc.hpp.golden", emit_header(test::sample_document(), options));
}

TEST_CASE("the generated header from IDL declares the types and has no skeleton") {
  EmitOptions options;
  options.source_name = "motor.idl.json";
  options.from_idl = true;
  std::string out = emit_header(test::sample_document(), options);
  CHECK(out.find("roc::Skeleton") == std::string::npos);
  CHECK(out.find("roc::ProxyFor") == std::string::npos);
  CHECK(out.find("enum class Direction {") != std::string::npos);
  check_golden("motor_from_idl.roc.hpp.golden", out);
}

namespace {

std::string device_proxies(const Document& d = test::device_document()) {
  Printer p;
  emit_proxies(d, EmitOptions{}, p);
  return p.str();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("overloads form an overload set in the proxy under their C++ name") {
  std::string out = device_proxies();
  CHECK(contains(out, "  bool read(std::string& line) const {\n"
                      "    return handle_.call<bool>(\"read_line\", ::roc::inout(\"line\", line));\n"));
  CHECK(contains(out, "  std::string read(std::int32_t count) const {\n"
                      "    return handle_.call<std::string>(\"read_count\", count);\n"));
  CHECK(contains(out, "    std::future<std::string> read(std::int32_t count) const {\n"));
}

TEST_CASE("overloads the proxy could not tell apart keep their wire names") {
  std::string out = device_proxies();
  CHECK(contains(out, "  void open_c(const std::string& path) const {\n    handle_.call<void>(\"open_c\", path);\n"));
  CHECK(contains(out, "  void open_s(const std::string& path) const {\n"));
  CHECK_FALSE(contains(out, " open(const std::string& path)"));
}

TEST_CASE("an overload set whose C++ name a property accessor takes keeps its wire names") {
  Document d = test::device_document();
  d.objects[0].properties[0].name = "read";
  d.objects[0].signature = compute_signature(d.objects[0], d);
  std::string out = device_proxies(d);
  CHECK(contains(out, "  bool read_line(std::string& line) const {\n"));
  CHECK(contains(out, "  std::string read_count(std::int32_t count) const {\n"));
}

TEST_CASE("proxy parameters get defaults derived from the IDL's JSON default, trailing ones only") {
  std::string out = device_proxies();
  CHECK(contains(out, "  double measure(std::int32_t channel, bool calibrated = true, lab::Mode mode = ::lab::Mode::fast, "
                      "const std::string& label = \"dark \\\"1\\\"\", const std::optional<std::int32_t>& average = "
                      "std::nullopt, const std::vector<double>& weights = {}) const {\n"
                      "    return handle_.call<double>(\"measure\", channel, calibrated, mode, label, average, weights);\n"));
  // `points` has a default C++ cannot be given from the IDL, so `time` and `scale` before it lose theirs.
  CHECK(contains(out, "  void integrate(std::int32_t time, double scale, const std::vector<std::int32_t>& points, "
                      "std::uint64_t gain = 18446744073709551615u) const {\n"));
}

TEST_CASE("a default_cxx is used as written, and the IDL's defaults survive a round trip through JSON") {
  Document d = read_idl(write_idl(test::device_document()));
  d.objects[0].methods[5].params[2].default_cxx = "{1, 2}";
  EmitOptions options;
  options.from_idl = true;
  std::string out = emit_header(d, options);
  CHECK(contains(out, "void integrate(std::int32_t time = 100, double scale = 1.5, const std::vector<std::int32_t>& "
                      "points = {1, 2}, std::uint64_t gain = 18446744073709551615u) const {\n"));
  CHECK(contains(out, "lab::Mode mode = ::lab::Mode::fast"));
}

TEST_CASE("in/out parameters are references in the proxy, and their methods have no async form") {
  std::string out = device_proxies();
  auto async_view = out.substr(out.find("class Async {"), out.find("Async async() const") - out.find("class Async {"));
  CHECK_FALSE(contains(async_view, "read(std::string& line)"));
  CHECK(contains(async_view, "read(std::int32_t count)"));
}

TEST_CASE("a builder's proxy method returns the proxy itself, its async form a future of void") {
  std::string out = device_proxies();
  CHECK(contains(out, "  const SpectrometerProxy& set_gain(double gain) const {\n"
                      "    handle_.call<void>(\"set_gain\", gain);\n"
                      "    return *this;\n"
                      "  }\n"));
  CHECK(contains(out, "    std::future<void> set_gain(double gain) const {\n"
                      "      return handle_.call_async<void>(\"set_gain\", gain);\n"));
}

TEST_CASE("skeletons pick an overload by casting to its pointer type and pass JSON defaults to the binding") {
  Printer p;
  emit_skeletons(test::device_document(), p);
  const std::string& out = p.str();
  CHECK(contains(out, ".method(\"read_line\", static_cast<bool (::lab::Spectrometer::*)(std::string&)>"
                      "(&::lab::Spectrometer::read), {\"line\"}, \"Reads one line into `line`; false at the end.\")"));
  CHECK(contains(out, ".method(\"measure\", &::lab::Spectrometer::measure, {\"channel\", {\"calibrated\", \"true\"}, "
                      "{\"mode\", \"\\\"fast\\\"\"}, {\"label\", \"\\\"dark \\\\\\\"1\\\\\\\"\\\"\"}, {\"average\", \"null\"}, "
                      "{\"weights\", \"[]\"}}, \"\")"));
}

TEST_CASE("every enum the file uses must have its names visible, with advice naming the header to include") {
  Printer p;
  emit_enum_checks(test::device_document(), p);
  CHECK(p.str() ==
        "static_assert(::roc::json::has_enum_names_v<::lab::Mode>,\n"
        "              \"lab::Mode is a ROC_ENUM: include mode.roc.hpp (generated from mode.hpp) before this file, "
        "or it would travel as an integer\");\n");  // and none for lab::Unused
  std::string header = emit_header(test::device_document(), EmitOptions{});
  CHECK(header.find("static_assert") > header.find("#include <roc/json.hpp>"));
  CHECK(header.find("static_assert") < header.find("struct roc::Skeleton"));
}

TEST_CASE("the generated header of a device with overloads, defaults, in/out and a builder matches its golden file") {
  EmitOptions options;
  options.source_name = "spectrometer.hpp";
  options.include_header = "lab/spectrometer.hpp";
  check_golden("spectrometer.roc.hpp.golden", emit_header(test::device_document(), options));
}

TEST_CASE("a method that takes a CallContext gets a start_ form in the proxy, and only such a method") {
  std::string out = device_proxies(test::camera_document());
  CHECK(contains(out, "  /// Starts exposure_series and returns at once: follow its progress, cancel it, or wait for its "
                      "result.\n"
                      "  ::roc::PendingCall<std::vector<double>> start_exposure_series(std::int32_t frames, double "
                      "seconds = 1.0, ::roc::CallOptions options = {}) const {\n"
                      "    return handle_.start<std::vector<double>>(\"exposure_series\", std::move(options), frames, "
                      "seconds);\n"
                      "  }\n"));
  CHECK(contains(out, "  ::roc::PendingCall<void> start_calibrate(::roc::CallOptions options = {}) const {\n"
                      "    return handle_.start<void>(\"calibrate\", std::move(options));\n"));
  // The plain call stays as it was, and the async view gets no start_.
  CHECK(contains(out, "  std::vector<double> exposure_series(std::int32_t frames, double seconds = 1.0) const {\n"));
  CHECK_FALSE(contains(out, "start_temperature"));
  auto async_view = out.substr(out.find("class Async {"), out.find("Async async() const") - out.find("class Async {"));
  CHECK_FALSE(contains(async_view, "start_"));
  // The original spectrometer has no long calls: its proxy is unchanged (see its golden file).
  CHECK_FALSE(contains(device_proxies(), "start_"));
}

TEST_CASE("a start_ form takes its options under another name when a parameter is called options") {
  Document d = test::camera_document();
  d.objects[0].methods[1].params = {test::param("options", "string")};
  d.objects[0].signature = compute_signature(d.objects[0], d);
  CHECK(contains(device_proxies(d), "start_calibrate(const std::string& options, ::roc::CallOptions call_options = {}) "
                                    "const {\n    return handle_.start<void>(\"calibrate\", std::move(call_options), "
                                    "options);\n"));
}

TEST_CASE("the generated header of a camera with long calls matches its golden file") {
  EmitOptions options;
  options.source_name = "camera.hpp";
  options.include_header = "lab/camera.hpp";
  check_golden("camera.roc.hpp.golden", emit_header(test::camera_document(), options));
}
