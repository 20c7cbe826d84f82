// The IDL's JSON form: schema validation, round trips, type spellings and the signature.
#include "model/idl_json.hpp"
#include "model/signature.hpp"
#include "model/type_ref.hpp"
#include "model_fixture.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

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

TEST_CASE("no method or property may take the name of a member every proxy has") {
  for (const char* name : {"handle", "async", "Async", "signature", "with_timeout", "handle_"}) {
    Document d = test::sample_document();
    d.objects[0].methods[0].name = name;
    CHECK_THROWS_WITH_AS(check_document(d), doctest::Contains("clash with a member every generated proxy has"),
                         IdlError);
    d = test::sample_document();
    d.objects[0].properties[0].name = name;
    CHECK_THROWS_WITH_AS(check_document(d), doctest::Contains("clash with a member every generated proxy has"),
                         IdlError);
  }
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

TEST_CASE("bytes and ndarray<T> of a numeric T are IDL types, passed by const reference") {
  Document none;
  CHECK(parse_type("bytes").kind == TypeRef::Kind::bytes);
  CHECK(parse_type("bytes").str() == "bytes");
  CHECK(cxx_type(parse_type("bytes")) == "roc::Bytes");
  CHECK_FALSE(pass_by_value(parse_type("bytes"), none));
  TypeRef nd = parse_type("ndarray< uint16 >");
  CHECK(nd.kind == TypeRef::Kind::ndarray);
  CHECK(nd.str() == "ndarray<uint16>");
  CHECK(cxx_type(nd) == "roc::NdArray<std::uint16_t>");
  CHECK_FALSE(pass_by_value(nd, none));
  for (const char* e : {"int8", "int16", "int32", "int64", "uint8", "uint32", "uint64", "float", "double"}) {
    CHECK(parse_type(fmt::format("ndarray<{}>", e)).str() == fmt::format("ndarray<{}>", e));
  }
  CHECK(cxx_type(parse_type("ndarray<float>")) == "roc::NdArray<float>");
  CHECK(parse_type("map<optional<array<ndarray<double>>>>").str() == "map<optional<array<ndarray<double>>>>");
  CHECK(cxx_type(parse_type("array<bytes,2>")) == "std::array<roc::Bytes, 2>");
  CHECK(uses_binary_types(parse_type("map<tuple<int8,array<bytes>>>")));
  CHECK(uses_binary_types(parse_type("ndarray<int8>")));
  CHECK_FALSE(uses_binary_types(parse_type("map<tuple<int8,array<uint16>>>")));
  // What the element may not be, each said plainly.
  for (const char* bad : {"ndarray<bool>", "ndarray<string>", "ndarray<bytes>", "ndarray<lab::Roi>",
                          "ndarray<array<uint8>>", "ndarray<json>", "ndarray<duration<int64,ms>>"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_type(bad), doctest::Contains("an ndarray's element must be a numeric scalar"), TypeError);
  }
  CHECK_THROWS_WITH_AS(parse_type("ndarray<int8,int8>"), doctest::Contains("ndarray takes one type"), TypeError);
  CHECK_THROWS_AS(parse_type("ndarray"), TypeError);
  CHECK_THROWS_AS(parse_type("ndarray<>"), TypeError);
  CHECK_THROWS_AS(parse_type("bytes<uint8>"), TypeError);
  CHECK_THROWS_AS(parse_type("ndarray<void>"), TypeError);
}

TEST_CASE("bytes and ndarray need no declaration, round-trip through JSON and are part of the signature") {
  Document d = test::sample_document();
  const std::string before = d.objects[0].signature;
  d.objects[0].methods[0].returns = "ndarray<uint16>";
  d.types[1].fields.push_back(Field{"blob", "bytes", "roc::Bytes", ""});
  CHECK_NOTHROW(check_document(d));
  d.objects[0].signature = compute_signature(d.objects[0], d);
  CHECK(d.objects[0].signature != before);
  CHECK(signature_text(d.objects[0], d).find("method go(lab::Move,duration<int64,ms>)->ndarray<uint16>\n") !=
        std::string::npos);
  CHECK(signature_text(d.objects[0], d).find("blob:bytes;") != std::string::npos);
  std::string text = write_idl(d);
  Document back = read_idl(text);
  CHECK(write_idl(back) == text);
  CHECK(back.objects[0].methods[0].returns == "ndarray<uint16>");
  Document one = describe_document(d, "lab::Motor");
  CHECK(one.types.size() == 2);  // bytes is no named type
}

TEST_CASE("signatures of interfaces without the binary types are what they were before those types existed") {
  // Pinned: a proxy generated by an older roc-gen must keep matching servers built by this one.
  CHECK(test::sample_document().objects[0].signature == "85abdea93380cee2");
}

TEST_CASE("a declared type may not take a name the IDL spells its own types with") {
  for (const char* word : {"bytes", "ndarray", "json", "int32", "array"}) {
    Document d = test::sample_document();
    d.types[1].name = word;
    CHECK_THROWS_WITH_AS(check_document(d), doctest::Contains("reserves for its own types"), IdlError);
  }
}

TEST_CASE("an IDL document with an ndarray of a non-numeric element is refused, naming where") {
  Document d = test::sample_document();
  d.objects[0].methods[0].returns = "ndarray<string>";
  CHECK_THROWS_WITH_AS(check_document(d), doctest::Contains("return type of lab::Motor::go"), IdlError);
  CHECK_THROWS_WITH_AS(check_document(d), doctest::Contains("an ndarray's element must be a numeric scalar"), IdlError);
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

TEST_CASE("in/out parameters, defaults and builders round-trip through JSON; pointer types stay out of it") {
  Document d = test::device_document();
  std::string text = write_idl(d);
  CHECK(text.find("pointer_type") == std::string::npos);
  CHECK(text.find("\"default\": \"fast\"") != std::string::npos);
  Document back = read_idl(text);
  CHECK(write_idl(back) == text);
  const Object& o = back.objects[0];
  CHECK(o.methods[0].params[0].inout);
  CHECK_FALSE(o.methods[1].params[0].inout);
  CHECK(o.methods[4].params[1].default_value == "true");
  CHECK(o.methods[4].params[2].default_value == "\"fast\"");
  CHECK(o.methods[4].params[4].default_value == "null");
  CHECK(o.methods[4].params[5].default_value == "[]");
  CHECK(o.methods[4].params[0].default_value.empty());
  CHECK(o.methods[5].params[0].default_cxx == "100");
  CHECK(o.methods[5].params[3].default_value == "18446744073709551615");
  CHECK(o.methods[6].returns_self);
  CHECK_FALSE(o.methods[5].returns_self);
  CHECK(o.methods[0].pointer_type.empty());
}

TEST_CASE("an in/out parameter is part of the signature, with its name, which keys its value in the result") {
  const Document base = test::device_document();
  CHECK(signature_text(base.objects[0], base).find("method read_line(inout line:string)->bool\n") != std::string::npos);
  Document d = base;
  d.objects[0].methods[0].params[0].name = "text";
  CHECK(compute_signature(d.objects[0], d) != base.objects[0].signature);
}

TEST_CASE("overloads share their C++ name in the proxy unless it would be ambiguous or taken") {
  Document d = test::device_document();
  CHECK(proxy_method_names(d.objects[0]) ==
        std::vector<std::string>{"read", "read", "open_c", "open_s", "measure", "integrate", "set_gain"});
  Object o = d.objects[0];
  o.methods[1].params[0].type = "string";  // read(std::string&) and read(const std::string&) still differ
  CHECK(proxy_method_names(o)[1] == "read");
  o = d.objects[0];
  o.methods[4].name = "read";  // another method's wire name
  o.methods[4].cxx_name = "measure";
  CHECK(proxy_method_names(o)[0] == "read_line");
  CHECK(proxy_method_names(o)[4] == "read");
  o = d.objects[0];
  o.properties[0].name = "read";  // the proxy's getter `read()`
  CHECK(proxy_method_names(o)[0] == "read_line");
  o = d.objects[0];
  o.methods[0].cxx_name = o.methods[1].cxx_name = "handle";  // every proxy has handle()
  CHECK(proxy_method_names(o)[0] == "read_line");
  o = d.objects[0];
  o.methods[6].cxx_name = "read";  // a single method keeps its wire name unless it joins a set
  CHECK(proxy_method_names(o)[6] == "read");
  o.methods[6].cxx_name = "gain";
  CHECK(proxy_method_names(o)[6] == "set_gain");
}

TEST_CASE("a number beyond int64 where the schema compares with an enum is refused before validation") {
  // RapidJSON's validator would cast it to int64 (undefined behaviour); the idl fuzzer found it.
  for (const char* json : {R"({"roc_idl": 4e103, "objects": [], "types": []})",
                           R"({"roc_idl": 1, "objects": [], "types": [{"kind": [-1e300], "name": "x"}]})"})
    CHECK_THROWS_WITH_AS(read_idl(json, "big.json"), doctest::Contains("holds a number out of range"), IdlError);
}

TEST_CASE("progress and cancellable round-trip through JSON and leave the signature alone") {
  Document d = test::camera_document();
  std::string text = write_idl(d);
  CHECK(text.find("\"progress\": true") != std::string::npos);
  CHECK(text.find("\"cancellable\": true") != std::string::npos);
  Document back = read_idl(text);  // validates against the schema and checks the signature
  CHECK(back.objects[0].methods[0].progress);
  CHECK(back.objects[0].methods[0].cancellable);
  CHECK_FALSE(back.objects[0].methods[2].progress);
  CHECK(write_idl(back) == text);
  // A method that starts taking a roc::CallContext keeps its interface's signature.
  Document plain = d;
  for (auto& m : plain.objects[0].methods) m.progress = m.cancellable = false;
  CHECK(compute_signature(plain.objects[0], plain) == d.objects[0].signature);
  CHECK(write_idl(plain).find("progress") == std::string::npos);
}

TEST_CASE("progress and cancellable must be booleans") {
  std::string text = write_idl(test::camera_document());
  const auto at = text.find("\"progress\": true");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("\"progress\": true").size(), "\"progress\": 1");
  CHECK_THROWS_AS(read_idl(text), IdlError);
}
