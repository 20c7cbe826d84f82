// The Clang front end on snippets held in strings: every supported construct, and each rejected
// one with its diagnostic and location.
#include "frontend/scanner.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using roc::idl::Document;
using roc::gen::ScanResult;
using roc::gen::scan_code;

namespace {

const std::vector<std::string> flags = {"-std=c++17", "-I" ROC_TEST_RUNTIME_INCLUDE};

ScanResult scan(const std::string& body) {
  return scan_code("#include <roc/annotate.hpp>\n#include <chrono>\n#include <cstdint>\n#include <map>\n"
                   "#include <unordered_map>\n#include <optional>\n#include <string>\n#include <tuple>\n"
                   "#include <array>\n#include <vector>\n" +
                       body,
                   "snippet.hpp", flags);
}

// The snippet's first line of `body` is line 11 (after the ten includes above).
constexpr unsigned first_line = 11;

std::string errors_of(const ScanResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.str() + "\n";
  return out;
}

const roc::idl::Method& method(const Document& d, const std::string& name) {
  const auto& ms = d.objects.at(0).methods;
  auto it = std::find_if(ms.begin(), ms.end(), [&](const auto& m) { return m.name == name; });
  REQUIRE(it != ms.end());
  return *it;
}

const roc::idl::Property& property(const Document& d, const std::string& name) {
  const auto& ps = d.objects.at(0).properties;
  auto it = std::find_if(ps.begin(), ps.end(), [&](const auto& p) { return p.name == name; });
  REQUIRE(it != ps.end());
  return *it;
}

}  // namespace

TEST_CASE("the scanner extracts annotated objects, methods, properties, structs and enums") {
  ScanResult r = scan(R"(
namespace lab::cams {
/// A point.
struct ROC_STRUCT Point { double x = 0; double y = 0; std::optional<std::string> label; };
/// Speeds.
enum class ROC_ENUM Speed { slow, fast = 4 };
struct ROC_STRUCT Scene { std::vector<Point> points; std::map<std::string, Speed> speeds; };

/// The camera.
class ROC_OBJECT Camera {
 public:
  /// Grabs frames.
  ROC_METHOD std::vector<std::uint16_t> grab(std::uint32_t lines);
  ROC_METHOD void set_scene(const Scene& scene, std::chrono::milliseconds timeout);
  ROC_METHOD std::tuple<int, std::string, bool> triple() const;
  ROC_METHOD std::pair<std::int8_t, std::uint64_t> pair(std::array<float, 3> v);
  ROC_METHOD std::unordered_map<std::string, std::chrono::duration<double>> timings();
  ROC_METHOD_AS("reset_all") void reset();
  void not_exported(int* p);
  /// Frames per second.
  ROC_PROPERTY double fps() const;
  void set_fps(double fps);
  ROC_PROPERTY std::string model() const;
  ROC_PROPERTY int gain = 1;
  ROC_PROPERTY const std::string serial = "x";
  ROC_PROPERTY_AS("speed") Speed current_speed = Speed::slow;
};
}  // namespace lab::cams
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const Document& d = r.doc;
  REQUIRE(d.objects.size() == 1);
  const auto& o = d.objects[0];
  CHECK(o.name == "lab::cams::Camera");
  CHECK(o.doc == "The camera.");
  CHECK(o.signature.size() == 16);
  CHECK(o.location.file == "snippet.hpp");
  CHECK(o.location.line == first_line + 9);
  CHECK(o.methods.size() == 6);

  SUBCASE("methods: names, parameters, results, const, docs, locations") {
    const auto& grab = method(d, "grab");
    CHECK(grab.doc == "Grabs frames.");
    REQUIRE(grab.params.size() == 1);
    CHECK(grab.params[0].name == "lines");
    CHECK(grab.params[0].type == "uint32");
    CHECK(grab.params[0].cxx == "std::uint32_t");
    CHECK(grab.returns == "array<uint16>");
    CHECK(grab.returns_cxx == "std::vector<std::uint16_t>");
    CHECK(grab.location.line == first_line + 12);
    CHECK(!grab.is_const);
    const auto& set_scene = method(d, "set_scene");
    CHECK(set_scene.params[0].type == "lab::cams::Scene");
    CHECK(set_scene.params[1].type == "duration<int64,ms>");
    CHECK(set_scene.returns == "void");
    CHECK(method(d, "triple").is_const);
    CHECK(method(d, "triple").returns == "tuple<int32,string,bool>");
    CHECK(method(d, "pair").returns == "tuple<int8,uint64>");
    CHECK(method(d, "pair").params[0].type == "array<float,3>");
    CHECK(method(d, "timings").returns == "map<duration<double,s>>");
  }
  SUBCASE("a method can have another wire name") {
    CHECK(method(d, "reset_all").cxx_name == "reset");
  }
  SUBCASE("properties: getter with setter, getter only, data member, const member") {
    CHECK(property(d, "fps").type == "double");
    CHECK(property(d, "fps").setter == "set_fps");
    CHECK(property(d, "fps").doc == "Frames per second.");
    CHECK(!property(d, "fps").readonly);
    CHECK(property(d, "model").readonly);
    CHECK(property(d, "gain").member == "gain");
    CHECK(!property(d, "gain").readonly);
    CHECK(property(d, "serial").readonly);
    CHECK(property(d, "speed").member == "current_speed");
    CHECK(property(d, "speed").type == "lab::cams::Speed");
  }
  SUBCASE("structs and enums, dependencies first") {
    REQUIRE(d.types.size() == 3);
    CHECK(d.types[0].name == "lab::cams::Point");
    CHECK(d.types[0].doc == "A point.");
    CHECK(d.types[0].fields.size() == 3);
    CHECK(d.types[0].fields[2].type == "optional<string>");
    CHECK(d.types[1].name == "lab::cams::Speed");
    CHECK(d.types[1].values.size() == 2);
    CHECK(d.types[1].values[1].name == "fast");
    CHECK(d.types[1].values[1].value == 4);
    CHECK(d.types[2].name == "lab::cams::Scene");
    CHECK(d.types[2].fields[0].type == "array<lab::cams::Point>");
    CHECK(d.types[2].fields[1].type == "map<lab::cams::Speed>");
  }
}

TEST_CASE("methods of annotated base classes are part of the object") {
  ScanResult r = scan(R"(
namespace lab {
class ROC_OBJECT Device {
 public:
  ROC_METHOD std::string id() const;
  ROC_PROPERTY bool enabled = true;
};
class ROC_OBJECT Camera : public Device {
 public:
  ROC_METHOD void open();
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  REQUIRE(r.doc.objects.size() == 2);
  const auto& camera = r.doc.objects[1];
  CHECK(camera.name == "lab::Camera");
  REQUIRE(camera.methods.size() == 2);
  CHECK(camera.methods[1].name == "id");
  CHECK(camera.methods[1].declared_in == "lab::Device");
  CHECK(camera.properties.at(0).declared_in == "lab::Device");
  CHECK(camera.bases == std::vector<std::string>{"lab::Device"});
  CHECK(camera.signature != r.doc.objects[0].signature);
}

TEST_CASE("types with their own to_json/from_json are external types") {
  ScanResult r = scan(R"(
#include <rapidjson/document.h>
namespace lab {
struct Pixel { int v; };
void to_json(rapidjson::Value&, const Pixel&, rapidjson::MemoryPoolAllocator<>&);
void from_json(const rapidjson::Value&, Pixel&);
class ROC_OBJECT Camera { public: ROC_METHOD Pixel at(int x); };
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  REQUIRE(r.doc.types.size() == 1);
  CHECK(r.doc.types[0].kind == roc::idl::TypeKind::external);
  CHECK(r.doc.objects[0].methods[0].returns == "lab::Pixel");
}

TEST_CASE("unsupported constructs are errors at their declaration") {
  struct Case {
    const char* name;
    const char* code;
    unsigned line;  // within the snippet, 1-based
    unsigned column;
    const char* message;
  };
  const Case cases[] = {
      {"raw pointer parameter", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int* data);\n};\n", 3, 26,
       "parameter 'data' of 'f' has type 'int *', which is a raw pointer"},
      {"overloaded name", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int x);\n  void f(double x);\n};\n", 3,
       19, "'f' is overloaded"},
      {"type with no JSON mapping", "struct Opaque {};\nclass ROC_OBJECT A {\n public:\n  ROC_METHOD Opaque f();\n};\n",
       4, 21, "the result of 'f' has type 'Opaque', which has no JSON mapping: annotate 'Opaque' with ROC_STRUCT"},
      {"unannotated enum", "enum class E { a };\nclass ROC_OBJECT A {\n public:\n  ROC_METHOD void f(E e);\n};\n", 4, 23,
       "is an enum without ROC_ENUM"},
      {"map with non-string keys",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(std::map<int, int> m);\n};\n", 3, 40,
       "keys are not std::string"},
      {"duration in an unknown unit",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(std::chrono::duration<int, std::ratio<7>> d);\n};\n", 3,
       63, "unit is not one of ns us ms s min h"},
      {"non-const reference parameter",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(std::string& out);\n};\n", 3, 34,
       "non-const reference"},
      {"unnamed parameter", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int);\n};\n", 3, 21,
       "parameter 1 of 'f' has no name"},
      {"struct member of an unmapped type",
       "struct ROC_STRUCT S { long double v; };\nclass ROC_OBJECT A {\n public:\n  ROC_METHOD S f();\n};\n", 1, 35,
       "member 'v' of 'S' has type 'long double', which has no JSON mapping"},
      {"static property", "class ROC_OBJECT A {\n public:\n  ROC_PROPERTY static inline int count = 0;\n};\n", 3,
       34, "'count' is static"},
      {"private method", "class ROC_OBJECT A {\n  ROC_METHOD void f();\n};\n", 2, 19, "method 'f' is not public"},
      {"getter that is not const", "class ROC_OBJECT A {\n public:\n  ROC_PROPERTY int g();\n};\n", 3, 20,
       "needs a const getter"},
      {"reserved wire name", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void async();\n};\n", 3, 19,
       "'async' is reserved"},
      {"duplicate wire name",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f();\n  ROC_METHOD_AS(\"f\") void g();\n};\n", 4, 27,
       "the wire name 'f' is used twice"},
      {"struct nested in a class",
       "class ROC_OBJECT A {\n public:\n  struct ROC_STRUCT S { int v; };\n  ROC_METHOD S f();\n};\n", 3, 21,
       "nested in a class"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ScanResult r = scan(c.code);
      INFO(errors_of(r));
      REQUIRE(!r.ok());
      REQUIRE(!r.errors.empty());
      const auto& e = r.errors.front();
      CHECK(e.location.file == "snippet.hpp");
      CHECK(e.location.line == first_line + c.line - 1);
      CHECK(e.location.column == c.column);
      CHECK(e.message.find(c.message) != std::string::npos);
      CHECK(e.str().rfind("snippet.hpp:" + std::to_string(e.location.line) + ":", 0) == 0);
      CHECK(e.str().find(": error: ") != std::string::npos);
    }
  }
}

TEST_CASE("a header with nothing annotated is an error at its first line") {
  ScanResult r = scan("namespace lab { class Camera { public: void open(); }; }\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].str().rfind("snippet.hpp:1:1: error: no ROC_OBJECT, ROC_STRUCT or ROC_ENUM", 0) == 0);
}

TEST_CASE("a header that does not compile fails without extracting anything") {
  ScanResult r = scan("class ROC_OBJECT A { public: ROC_METHOD void f(Undeclared u); };\n");
  CHECK(r.compile_failed);
  CHECK(!r.ok());
  CHECK(r.doc.objects.empty());
}

TEST_CASE("without ROC_CODEGEN the annotations are invisible, so the scan finds nothing") {
  // roc-gen always defines it; this guards the macro's guard.
  ScanResult r = scan_code("#undef ROC_CODEGEN\n#include <roc/annotate.hpp>\nclass ROC_OBJECT A { public: ROC_METHOD void f(); };\n",
                           "snippet.hpp", {"-std=c++17", "-UROC_CODEGEN", "-I" ROC_TEST_RUNTIME_INCLUDE});
  CHECK(!r.ok());
}
