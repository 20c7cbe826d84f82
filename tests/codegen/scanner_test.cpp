// The Clang front end on snippets held in strings: every supported construct, and each rejected
// one with its diagnostic and location.
#include "frontend/scanner.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using roc::idl::Document;
using roc::gen::ScanResult;
using roc::gen::scan_code;

namespace {

const std::vector<std::string> flags = {"-std=c++17", "-I" ROC_TEST_RUNTIME_INCLUDE};

ScanResult scan(const std::string& body) {
  return scan_code("#include <roc/annotate.hpp>\n#include <chrono>\n#include <cstdint>\n#include <map>\n"
                   "#include <unordered_map>\n#include <optional>\n#include <string>\n#include <tuple>\n"
                   "#include <array>\n#include <vector>\n#include <ios>\n#include <variant>\n" +
                       body,
                   "snippet.hpp", flags);
}

// The snippet's first line of `body` is line 13 (after the twelve includes above).
constexpr unsigned first_line = 13;

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

TEST_CASE("roc::Bytes is bytes and roc::NdArray<T> of a number is ndarray<T>, in any slot") {
  ScanResult r = scan(R"(
#include <roc/attachment.hpp>
namespace lab {
struct ROC_STRUCT Frame { std::vector<std::uint16_t> pixels; roc::Bytes header; roc::NdArray<float> gains; };
class ROC_OBJECT Camera {
 public:
  ROC_METHOD roc::NdArray<std::uint16_t> grab(const roc::Bytes& request, roc::NdArray<double> weights);
  ROC_METHOD std::vector<Frame> burst(std::map<std::string, roc::NdArray<std::int8_t>> masks);
  ROC_METHOD roc::Bytes raw(const roc::Bytes& fallback = {});
  ROC_PROPERTY roc::Bytes calibration;
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const auto& grab = method(r.doc, "grab");
  CHECK(grab.returns == "ndarray<uint16>");
  CHECK(grab.returns_cxx == "roc::NdArray<std::uint16_t>");
  CHECK(grab.params[0].type == "bytes");
  CHECK(grab.params[0].cxx == "roc::Bytes");
  CHECK(grab.params[1].type == "ndarray<double>");
  CHECK(method(r.doc, "burst").params[0].type == "map<ndarray<int8>>");
  CHECK(method(r.doc, "burst").returns == "array<lab::Frame>");
  CHECK(method(r.doc, "raw").params[0].default_cxx == "{}");  // the proxy's default only
  CHECK(property(r.doc, "calibration").type == "bytes");
  REQUIRE(r.doc.types.size() == 1);  // Frame; bytes and ndarray are no named types
  CHECK(r.doc.types[0].fields[0].type == "array<uint16>");
  CHECK(r.doc.types[0].fields[1].type == "bytes");
  CHECK(r.doc.types[0].fields[2].type == "ndarray<float>");
}

TEST_CASE("an NdArray of something that is not a number is an error at its declaration") {
  for (const char* element : {"bool", "std::string", "Roi", "std::vector<int>", "long double"}) {
    CAPTURE(element);
    ScanResult r = scan(std::string("#include <roc/attachment.hpp>\nstruct ROC_STRUCT Roi { int x; };\n"
                                    "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(const roc::NdArray<") +
                        element + ">& a);\n};\n");
    INFO(errors_of(r));
    REQUIRE(!r.ok());
    REQUIRE(!r.errors.empty());
    const auto& e = r.errors.front();
    CHECK(e.location.line == first_line + 4);
    CHECK(e.message.find("parameter 'a' of 'f' has type") != std::string::npos);
    CHECK(e.message.find("its element must be one of std::int8_t .. std::uint64_t, float or double") !=
          std::string::npos);
  }
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
      {"two exported overloads sharing a wire name",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int x);\n  ROC_METHOD void f(double x);\n};\n", 4, 19,
       "'f' is overloaded and two of its exported overloads share the wire name 'f'; give each its own with "
       "ROC_METHOD_AS"},
      {"ref-qualified method", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f() &;\n};\n", 3, 19,
       "'f' is ref-qualified ('&' or '&&' after its parameters); the published object is called as an lvalue"},
      {"variadic method", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int n, ...);\n};\n", 3, 19,
       "'f' takes '...'"},
      {"raw pointer to char", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(char* text);\n};\n", 3, 27,
       "which is a raw pointer: roc sends values; for text take 'const char*' or std::string"},
      {"const char* inside a container",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(std::vector<const char*> names);\n};\n", 3, 46,
       "an element of parameter 'names' of 'f' has type 'const char *', which is a raw pointer: only a parameter or "
       "result can be 'const char*' text; use std::string here"},
      {"vector of an unmapped element",
       "struct Opaque {};\nclass ROC_OBJECT A {\n public:\n  ROC_METHOD void f(std::vector<Opaque> v);\n};\n", 4, 41,
       "an element of parameter 'v' of 'f' has type 'Opaque', which has no JSON mapping: annotate 'Opaque' with "
       "ROC_STRUCT"},
      {"standard-library enum",
       "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(std::ios_base::openmode mode);\n};\n", 3, 45,
       "is a standard-library enum; take an integer type, or convert to an enum of your own marked ROC_ENUM"},
      {"forward-declared (pimpl) class",
       "class Impl;\nclass ROC_OBJECT A {\n public:\n  ROC_METHOD Impl get();\n};\n", 4, 19,
       "the result of 'get' has type 'Impl', which is incomplete here (declared, never defined); roc sends values"},
      {"uninstantiated template specialization",
       "template <class T, class E> struct Result { std::variant<T, E> v; };\nclass ROC_OBJECT A {\n public:\n"
       "  ROC_METHOD Result<int, std::string> get();\n};\n",
       4, 39, "is a template specialization that is not instantiated in this header"},
      {"annotated base method hidden by another signature",
       "struct Base {\n  ROC_METHOD void f(int x);\n};\nclass ROC_OBJECT A : public Base {\n public:\n"
       "  void f(double x);\n};\n",
       6, 8,
       "'f' hides the annotated 'Base::f' (C++ name hiding: another signature); add 'using Base::f;' to 'A' to "
       "export it, or annotate this declaration"},
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
       "ROC_STRUCT 'A::S' is nested in a class; its to_json/from_json must be found by ADL, which does not look "
       "into classes: declare it at namespace scope (a 'using S = ...;' in the class keeps its old name)"},
      {"unnamed parameter advice", "class ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int);\n};\n", 3, 21,
       "(name it in this declaration)"},
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

TEST_CASE("a header named .h parses as C++, even when the flags name another language") {
  const std::string code = "#include <roc/annotate.hpp>\n#include <cstdint>\n#include <string>\n"
                           "namespace lab { class ROC_OBJECT Driver { public: ROC_METHOD std::string id(std::uint8_t n); }; }\n";
  for (const auto& extra : std::vector<std::vector<std::string>>{{}, {"-x", "c"}, {"-xc"}}) {
    std::vector<std::string> args = flags;
    args.insert(args.begin(), extra.begin(), extra.end());
    ScanResult r = scan_code(code, "driver.h", args);
    INFO(errors_of(r));
    REQUIRE(r.ok());
    CHECK(r.doc.objects.at(0).methods.at(0).params.at(0).type == "uint8");
  }
}

TEST_CASE("an implementation of an annotated interface exports each override once") {
  ScanResult r = scan(R"(
namespace lab {
/// A scanner.
class ROC_OBJECT Scanner {
 public:
  virtual ~Scanner() = default;
  /// Closes it.
  ROC_METHOD virtual void close() = 0;
  ROC_METHOD_AS("scan_once") virtual std::vector<long> scan(int points) const = 0;
  ROC_METHOD virtual int id() const = 0;
};
class ROC_OBJECT LaserScanner : public Scanner {
 public:
  void close() override;
  std::vector<long> scan(int points) const override;
  ROC_METHOD_AS("laser_id") int id() const override;
  void unrelated();
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  REQUIRE(r.doc.objects.size() == 2);
  const auto& interface = r.doc.objects[0];
  CHECK(interface.name == "lab::Scanner");
  CHECK(interface.methods.size() == 3);
  const auto& laser = r.doc.objects[1];
  CHECK(laser.name == "lab::LaserScanner");
  REQUIRE(laser.methods.size() == 3);
  CHECK(laser.methods[0].name == "close");
  CHECK(laser.methods[0].declared_in.empty());  // the visible declaration is the override
  CHECK(laser.methods[0].doc == "Closes it.");
  CHECK(laser.methods[0].pointer_type.empty());
  CHECK(laser.methods[1].name == "scan_once");
  CHECK(laser.methods[1].cxx_name == "scan");
  CHECK(laser.methods[1].is_const);
  CHECK(laser.methods[2].name == "laser_id");  // the derived annotation wins
  CHECK(laser.bases == std::vector<std::string>{"lab::Scanner"});
}

TEST_CASE("a using-declaration brings the base's overloads; each names the class that declares it") {
  ScanResult r = scan(R"(
namespace lab {
class Base {
 public:
  ROC_METHOD void set(int value);
};
class ROC_OBJECT Dev : public Base {
 public:
  using Base::set;
  ROC_METHOD_AS("set_text") void set(const std::string& text);
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const auto& m = r.doc.objects.at(0).methods;
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "set");
  CHECK(m[0].declared_in == "lab::Base");
  CHECK(m[0].pointer_type == "void (::lab::Base::*)(int)");
  CHECK(m[1].name == "set_text");
  CHECK(m[1].declared_in.empty());
  CHECK(m[1].pointer_type == "void (::lab::Dev::*)(const ::std::string &)");
}

TEST_CASE("overloads export under their own wire names, with member pointer types and out-parameters") {
  ScanResult r = scan(R"(
namespace lab {
class ROC_OBJECT Dev {
 public:
  ROC_METHOD_AS("read_line") bool read(std::string& line);
  ROC_METHOD_AS("read_data") int read(std::vector<long>& data, std::size_t max) const noexcept;
  void read();
  ROC_METHOD void write(const char* text);
  ROC_METHOD const char* name() const;
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const auto& line = method(r.doc, "read_line");
  CHECK(line.cxx_name == "read");
  CHECK(line.pointer_type == "bool (::lab::Dev::*)(::std::string &)");
  REQUIRE(line.params.size() == 1);
  CHECK(line.params[0].inout);
  CHECK(line.params[0].type == "string");
  CHECK(line.params[0].cxx == "std::string");
  const auto& data = method(r.doc, "read_data");
  CHECK(data.pointer_type == "int (::lab::Dev::*)(::std::vector<long> &, ::std::size_t) const");
  CHECK(data.params[0].inout);
  CHECK(data.params[0].type == "array<int64>");
  CHECK(!data.params[1].inout);
  const auto& write = method(r.doc, "write");
  CHECK(write.pointer_type.empty());
  CHECK(write.params[0].type == "string");
  CHECK(write.params[0].cxx == "std::string");
  CHECK(!write.params[0].inout);
  CHECK(method(r.doc, "name").returns == "string");
  CHECK(method(r.doc, "name").returns_cxx == "std::string");
}

TEST_CASE("builder methods returning the object or a base are returns_self") {
  ScanResult r = scan(R"(
namespace lab {
class Base { public: ROC_METHOD Base& reset(); };
class ROC_OBJECT Dev : public Base {
 public:
  ROC_METHOD Dev& set_gain(double gain);
  ROC_METHOD const Dev& touch() const;
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  for (const char* name : {"set_gain", "touch", "reset"}) {
    CAPTURE(name);
    CHECK(method(r.doc, name).returns_self);
    CHECK(method(r.doc, name).returns == "void");
    CHECK(method(r.doc, name).returns_cxx.empty());
  }
}

TEST_CASE("typedef'd anonymous enums and enums nested in a class are enums, and defaults use them") {
  ScanResult r = scan(R"(
namespace lab {
typedef enum ROC_ENUM { lab_off, lab_on = 2, lab_auto } lab_mode_t;
class ROC_OBJECT Dev {
 public:
  enum class ROC_ENUM Speed { slow, fast, quick = fast };
  enum { max_channels = 8 };
  ROC_METHOD void set(lab_mode_t mode = lab_on, Speed speed = Speed::quick, int channels = max_channels);
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  REQUIRE(r.doc.types.size() == 2);
  CHECK(r.doc.types[0].name == "lab::lab_mode_t");
  REQUIRE(r.doc.types[0].values.size() == 3);
  CHECK(r.doc.types[0].values[1].name == "lab_on");
  CHECK(r.doc.types[0].values[2].value == 3);
  CHECK(r.doc.types[1].name == "lab::Dev::Speed");
  const auto& p = method(r.doc, "set").params;
  CHECK(p[0].type == "lab::lab_mode_t");
  CHECK(p[0].cxx == "lab::lab_mode_t");
  CHECK(p[0].default_value == "\"lab_on\"");
  CHECK(p[0].default_cxx == "::lab::lab_on");
  CHECK(p[1].type == "lab::Dev::Speed");
  CHECK(p[1].default_value == "\"quick\"");  // an alias keeps the name written
  CHECK(p[1].default_cxx == "::lab::Dev::Speed::quick");
  CHECK(p[2].default_value == "8");
  CHECK(p[2].default_cxx == "8");
}

TEST_CASE("default arguments become JSON values and C++ expressions") {
  ScanResult r = scan(R"(
namespace lab {
struct ROC_STRUCT Point { int x = 0; };
constexpr double scale = 1e20;
class ROC_OBJECT Dev {
 public:
  ROC_METHOD void f(bool calibrated = true, double volts = 0.5, float gain = 0.1f, int offset = -3,
                    unsigned count = 42u, std::uint64_t big = ~0ull, double far = scale, double whole = 2,
                    const char* label = "a\"b\n", std::string text = "x", std::string empty = {},
                    std::optional<int> limit = std::nullopt, std::optional<std::string> tag = {},
                    std::vector<int> values = {}, std::map<std::string, int> table = std::map<std::string, int>(),
                    std::array<int, 2> pair = {}, Point at = {}, std::chrono::milliseconds timeout = std::chrono::milliseconds(100));
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  CHECK(r.warnings.empty());
  const auto& p = method(r.doc, "f").params;
  REQUIRE(p.size() == 18);
  auto check = [&](std::size_t i, const std::string& json, const std::string& cxx) {
    CAPTURE(p[i].name);
    CHECK(p[i].default_value == json);
    CHECK(p[i].default_cxx == cxx);
  };
  check(0, "true", "true");
  check(1, "0.5", "0.5");
  check(2, "0.1", "0.1f");
  check(3, "-3", "-3");
  check(4, "42", "42");
  check(5, "18446744073709551615", "18446744073709551615u");
  check(6, "1e+20", "1e+20");
  check(7, "2.0", "2.0");
  check(8, "\"a\\\"b\\n\"", "\"a\\\"b\\n\"");
  check(9, "\"x\"", "\"x\"");
  check(10, "\"\"", "{}");
  check(11, "null", "std::nullopt");
  check(12, "null", "std::nullopt");
  check(13, "[]", "{}");
  check(14, "{}", "{}");
  check(15, "", "{}");
  check(16, "", "{}");
  check(17, "100", "::std::chrono::milliseconds(100)");
}

TEST_CASE("a default roc cannot send is a warning at the argument, and the scan succeeds") {
  ScanResult r = scan("int next_id();\nclass ROC_OBJECT A {\n public:\n  ROC_METHOD void f(int id = next_id());\n};\n");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  REQUIRE(r.warnings.size() == 1);
  const auto& w = r.warnings[0];
  CHECK(w.severity == roc::gen::Severity::warning);
  CHECK(w.str() == "snippet.hpp:" + std::to_string(first_line + 3) +
                       ":30: warning: the default argument of parameter 'id' of 'f' is not a constant roc can send; "
                       "callers through roc must pass 'id'");
  CHECK(method(r.doc, "f").params[0].default_value.empty());
  CHECK(method(r.doc, "f").params[0].default_cxx.empty());
}

TEST_CASE("a crash while reading a declaration is an internal error at that declaration") {
  ScanResult r = scan("class ROC_OBJECT ROC_DETAIL_ANNOTATE(\"roc::internal-test-crash\") A {\n public:\n  ROC_METHOD void f();\n};\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].str() == "snippet.hpp:" + std::to_string(first_line) +
                                 ":66: error: roc-gen could not read this declaration (internal error)");
}

TEST_CASE("an umbrella header is parsed and only the named header's declarations are exported") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("roc_scanner_umbrella_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("sub.h", "#ifndef LIB_UMBRELLA\n#error include lib.h instead\n#endif\n"
                 "namespace lib { class ROC_OBJECT Sub { public: ROC_METHOD int value(); }; }\n");
  write("other.h", "#pragma once\n#include <roc/annotate.hpp>\nnamespace lib { class ROC_OBJECT Other { public: ROC_METHOD int value(); }; }\n");
  write("lib.h", "#pragma once\n#include <roc/annotate.hpp>\n#define LIB_UMBRELLA\n#include \"other.h\"\n#include \"sub.h\"\n");
  roc::gen::ScanOptions options;
  options.args = flags;
  options.umbrella = (dir / "lib.h").string();
  ScanResult r = roc::gen::scan_file((dir / "sub.h").string(), options);
  INFO(errors_of(r));
  REQUIRE(r.ok());
  REQUIRE(r.doc.objects.size() == 1);
  CHECK(r.doc.objects[0].name == "lib::Sub");
  CHECK(r.doc.objects[0].location.file == (dir / "sub.h").string());
  CHECK(r.doc.objects[0].location.line == 4);

  SUBCASE("an umbrella that does not include the header is an error") {
    options.umbrella = (dir / "other.h").string();
    ScanResult bad = roc::gen::scan_file((dir / "sub.h").string(), options);
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].message.find("does not include this header") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("a roc::CallContext parameter is left out of the params and marks the method progress and cancellable") {
  ScanResult r = scan(R"(
#include <roc/call_context.hpp>
namespace lab {
using Context = roc::CallContext;
class ROC_OBJECT Camera {
 public:
  ROC_METHOD std::vector<double> series(int frames, roc::CallContext& ctx, double seconds = 1.0);
  ROC_METHOD void calibrate(const roc::CallContext& context);
  ROC_METHOD int aliased(Context& c, int n);
  ROC_METHOD double temperature() const;
};
}
)");
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const auto& series = method(r.doc, "series");
  CHECK(series.progress);
  CHECK(series.cancellable);
  REQUIRE(series.params.size() == 2);
  CHECK(series.params[0].name == "frames");
  CHECK(series.params[1].name == "seconds");
  CHECK(series.params[1].default_value == "1.0");
  CHECK_FALSE(series.params[0].inout);
  CHECK(method(r.doc, "calibrate").params.empty());
  CHECK(method(r.doc, "calibrate").progress);
  CHECK(method(r.doc, "aliased").cancellable);
  CHECK(method(r.doc, "aliased").params.size() == 1);
  CHECK_FALSE(method(r.doc, "temperature").progress);
  CHECK_FALSE(method(r.doc, "temperature").cancellable);
}

TEST_CASE("a roc::CallContext taken by value is an error that says to take a reference") {
  ScanResult r = scan(R"(
#include <roc/call_context.hpp>
class ROC_OBJECT A {
 public:
  ROC_METHOD void f(roc::CallContext ctx);
};
)");
  CHECK_FALSE(r.ok());
  CHECK(errors_of(r).find("parameter 'ctx' of 'f' takes a roc::CallContext by value; take it as "
                          "'roc::CallContext&'") != std::string::npos);
}
