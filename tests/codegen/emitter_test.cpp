// The emitters on a hand-built model against expected text: small pieces inline, the whole
// generated header against golden files (ROC_UPDATE_GOLDEN=1 rewrites them after a deliberate change).
#include "emit/emitters.hpp"
#include "emit/printer.hpp"
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
