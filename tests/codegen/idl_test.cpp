// The IDL's JSON form: schema validation, round trips, type spellings and the signature.
#include "model/idl_json.hpp"
#include "model/signature.hpp"
#include "model/type_ref.hpp"
#include "model_fixture.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace roc::idl;

TEST_CASE("IDL documents round-trip through JSON unchanged") {
  Document d = test::sample_document();
  d.objects[0].location = Location{"motor.hpp", 12, 7};
  std::string text = write_idl(d);
  Document back = read_idl(text);
  CHECK(write_idl(back) == text);
  CHECK(back.objects[0].methods[1].cxx_name == "halt");
  CHECK(back.objects[0].properties[1].readonly);
  CHECK(back.types[0].values[1].doc == "Towards home.");
  CHECK(back.objects[0].location.line == 12);
}

TEST_CASE("the embedded schema is the one in idl/") {
  std::ifstream in(ROC_TEST_IDL_SCHEMA);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == idl_schema());
}

TEST_CASE("documents that break the schema are rejected with the path of the bad value") {
  auto reject = [](const std::string& json, const std::string& expected) {
    try {
      read_idl(json, "bad.json");
      FAIL("accepted: " << json);
    } catch (const IdlError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(expected) != std::string::npos);
    }
  };
  reject("{", "bad.json: not valid JSON");
  reject(R"({"roc_idl":2,"objects":[],"types":[]})", "/roc_idl");
  reject(R"({"roc_idl":1,"objects":[{"name":"a::B","signature":"0000000000000000","methods":[{"name":"f","params":[],"returns":7}],"properties":[]}],"types":[]})",
         "/objects/0/methods/0/returns");
  reject(R"({"roc_idl":1,"objects":[],"types":[],"extra":1})", "additionalProperties");
  reject(R"({"roc_idl":1,"objects":[{"name":"a::B","signature":"0000000000000000","methods":[{"name":"f","params":[{"name":"x","type":"lab::Nope"}],"returns":"void"}],"properties":[]}],"types":[]})",
         "type 'lab::Nope' is not declared");
}

TEST_CASE("a method may not take the name of a property's proxy accessor") {
  Document d = test::sample_document();
  d.objects[0].methods[1].name = "set_speed";
  CHECK_THROWS_WITH_AS(check_document(d), doctest::Contains("clashes with the proxy's accessor of property 'speed'"),
                       IdlError);
  d.objects[0].methods[1].name = "set_model";  // model is read-only: no setter in the proxy
  CHECK_NOTHROW(check_document(d));
}

TEST_CASE("a hand-edited interface no longer matches its signature") {
  Document d = test::sample_document();
  d.objects[0].methods[0].returns = "array<int64>";
  CHECK_THROWS_WITH_AS(read_idl(write_idl(d), "x.json"), doctest::Contains("has signature"), IdlError);
}

TEST_CASE("the signature covers names and types of methods, properties and used types, nothing else") {
  const Document base = test::sample_document();
  const std::string sig = base.objects[0].signature;
  auto resigned = [](Document d) { return compute_signature(d.objects[0], d); };
  Document d = base;
  d.objects[0].methods[0].doc = "changed";
  d.objects[0].methods[0].params[0].name = "renamed";
  d.objects[0].location.line = 99;
  CHECK(resigned(d) == sig);
  d = base;
  d.objects[0].methods[0].name = "go2";
  CHECK(resigned(d) != sig);
  d = base;
  d.objects[0].methods[0].params[1].type = "duration<int64,us>";
  CHECK(resigned(d) != sig);
  d = base;
  d.objects[0].properties[1].readonly = false;
  CHECK(resigned(d) != sig);
  d = base;
  d.types[1].fields[0].type = "int64";
  CHECK(resigned(d) != sig);
  d = base;
  std::swap(d.objects[0].methods[0], d.objects[0].methods[1]);  // order does not matter
  CHECK(resigned(d) == sig);
}

TEST_CASE("IDL type spellings parse, print canonically and map to C++") {
  CHECK(parse_type("array< lab::Roi >").str() == "array<lab::Roi>");
  CHECK(parse_type("map<optional<array<int8,4>>>").str() == "map<optional<array<int8,4>>>");
  CHECK(cxx_type(parse_type("array<int8,4>")) == "std::array<std::int8_t, 4>");
  CHECK(cxx_type(parse_type("map<string>")) == "std::map<std::string, std::string>");
  CHECK(cxx_type(parse_type("tuple<bool,double>")) == "std::tuple<bool, double>");
  CHECK(cxx_type(parse_type("duration<int64,ms>")) == "std::chrono::duration<std::int64_t, std::milli>");
  CHECK(cxx_type(parse_type("duration<double,min>")) == "std::chrono::duration<double, std::ratio<60>>");
  CHECK(cxx_type(parse_type("json")) == "roc::json::Json");
  CHECK_THROWS_AS(parse_type("array<>"), TypeError);
  CHECK_THROWS_AS(parse_type("duration<string,ms>"), TypeError);
  CHECK_THROWS_AS(parse_type("duration<int64,days>"), TypeError);
  CHECK_THROWS_AS(parse_type("optional<int8,int8>"), TypeError);
  CHECK_THROWS_AS(parse_type("array<void>"), TypeError);
  CHECK_THROWS_AS(parse_type("int32 x"), TypeError);
}

TEST_CASE("describe_document keeps one object and the types it reaches") {
  Document d = test::sample_document();
  TypeDecl unused;
  unused.kind = TypeKind::enumeration;
  unused.name = "lab::Unused";
  unused.values = {{"a", 0, ""}};
  d.types.push_back(unused);
  Document one = describe_document(d, "lab::Motor");
  CHECK(one.objects.size() == 1);
  CHECK(one.types.size() == 2);  // Move, and Direction through Move's field
}
