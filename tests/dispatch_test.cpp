// The JSON-RPC 2.0 side of a server, without sockets: every error case of the specification,
// batches, notifications, ids, parameter binding and the system methods.
#include "server/dispatcher.hpp"
#include "wire/jsonrpc.hpp"
#include "support/test_device.hpp"

#include <doctest/doctest.h>

#include <roc/error.hpp>

#include <limits>

namespace {

using roc::Json;

struct Fixture {
  testing_lab::Device device;
  roc::detail::Dispatcher dispatcher{"dev", testing_lab::device_binding().table(), &device};

  Json reply(const std::string& body) {
    auto text = dispatcher.handle(body);
    REQUIRE_MESSAGE(!text.empty(), "expected a reply to " << body);
    return Json::parse(text);
  }
  Json result(const std::string& method, const std::string& params) {
    auto r = reply(R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}");
    INFO(r.dump());
    REQUIRE(r.value().HasMember("result"));
    return Json::from(r.value()["result"]);
  }
  // The error object of a single reply; checks the code.
  Json error(const std::string& body, int code) {
    auto r = reply(body);
    INFO(r.dump());
    REQUIRE(r.value().IsObject());
    REQUIRE(r.value().HasMember("error"));
    CHECK(r.value()["error"]["code"].GetInt() == code);
    return Json::from(r.value()["error"]);
  }
  std::string call_error(const std::string& method, const std::string& params, int code) {
    auto e = error(R"({"jsonrpc":"2.0","id":7,"method":")" + method + R"(","params":)" + params + "}", code);
    return e.value()["message"].GetString();
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "params by position and by name reach the method") {
  CHECK(result("add", "[42,23]").as<int>() == 65);
  CHECK(result("add", R"({"b":23,"a":42})").as<int>() == 65);
  SUBCASE("a trailing optional parameter may be left out, by position or by name") {
    CHECK(result("greet", R"(["Ada"])").as<std::string>() == "hello, Ada");
    CHECK(result("greet", R"({"name":"Ada"})").as<std::string>() == "hello, Ada");
    CHECK(result("greet", R"(["Ada","hi"])").as<std::string>() == "hi, Ada");
  }
  SUBCASE("a method without parameters accepts no params member, [] and {}") {
    CHECK(reply(R"({"jsonrpc":"2.0","id":1,"method":"tag"})").value()["result"] == "device");
    CHECK(result("tag", "[]").as<std::string>() == "device");
    CHECK(result("tag", "{}").as<std::string>() == "device");
  }
  SUBCASE("void results are null") { CHECK(result("reset", "[]").value().IsNull()); }
}

TEST_CASE_FIXTURE(Fixture, "wrong parameters get -32602 naming the parameter and what was expected") {
  using roc::error_code::invalid_params;
  CHECK(call_error("add", R"([1,"two"])", invalid_params) ==
        "parameter 'b' of 'add': expected int32, got a string");
  CHECK(call_error("add", "[1]", invalid_params) == "method 'add' needs parameter 'b' (int32)");
  CHECK(call_error("add", "[1,2,3]", invalid_params) == "method 'add' takes 2 parameters, got 3");
  CHECK(call_error("add", R"({"a":1,"c":2})", invalid_params) ==
        "method 'add' has no parameter 'c' (its parameters: a, b)");
  CHECK(call_error("add", "[1, 3000000000]", invalid_params).find("outside -2147483648..2147483647") !=
        std::string::npos);
  CHECK(call_error("echo_shape", R"([{"name":"s","points":[{"x":1,"y":"2"}]}])", invalid_params) ==
        "parameter 'value' of 'echo_shape': expected double at 'points[0].y', got a string");
  CHECK(call_error("echo_colour", R"(["purple"])", invalid_params).find("'purple', which is not one of its values") !=
        std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "an exception thrown by the method becomes -32000 with its type and what()") {
  auto e = error(R"({"jsonrpc":"2.0","id":1,"method":"fail","params":["runtime"]})", roc::error_code::method_threw);
  CHECK(std::string(e.value()["message"].GetString()) == "'fail' threw std::runtime_error: the lamp is broken");
  CHECK(std::string(e.value()["data"]["type"].GetString()) == "std::runtime_error");
  CHECK(std::string(e.value()["data"]["what"].GetString()) == "the lamp is broken");

  e = error(R"({"jsonrpc":"2.0","id":1,"method":"fail","params":["custom"]})", roc::error_code::method_threw);
  CHECK(std::string(e.value()["data"]["type"].GetString()) == "testing_lab::CalibrationError");

  SUBCASE("also when it is not a std::exception") {
    e = error(R"({"jsonrpc":"2.0","id":1,"method":"fail","params":["int"]})", roc::error_code::method_threw);
    CHECK(std::string(e.value()["message"].GetString()) == "'fail' threw int");
    e = error(R"({"jsonrpc":"2.0","id":1,"method":"fail","params":["other"]})", roc::error_code::method_threw);
    CHECK(std::string(e.value()["data"]["type"].GetString()) == "testing_lab::NotAStdException");
  }
  CHECK(result("add", "[1,1]").as<int>() == 2);  // and the next call works
}

TEST_CASE_FIXTURE(Fixture, "every error case of the JSON-RPC 2.0 specification") {
  using namespace roc::error_code;
  SUBCASE("a method that does not exist") {
    auto e = error(R"({"jsonrpc":"2.0","method":"foobar","id":"1"})", method_not_found);
    CHECK(std::string(e.value()["message"].GetString()) == "object 'dev' (testing_lab::Device) has no method 'foobar'");
    CHECK(reply(R"({"jsonrpc":"2.0","method":"foobar","id":"1"})").value()["id"] == "1");
  }
  SUBCASE("invalid JSON: parse error with a null id") {
    auto r = reply(R"({"jsonrpc":"2.0","method":"foobar,"params":"bar","baz])");
    CHECK(r.value()["error"]["code"].GetInt() == parse_error);
    CHECK(r.value()["id"].IsNull());
  }
  SUBCASE("an invalid request object") {
    auto r = reply(R"({"jsonrpc":"2.0","method":1,"params":"bar"})");
    CHECK(r.value()["error"]["code"].GetInt() == invalid_request);
    CHECK(r.value()["id"].IsNull());
  }
  SUBCASE("a batch that is invalid JSON") {
    auto r = reply(R"([{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method"])");
    CHECK(r.value()["error"]["code"].GetInt() == parse_error);
  }
  SUBCASE("an empty batch is one invalid request") {
    auto r = reply("[]");
    REQUIRE(r.value().IsObject());
    CHECK(r.value()["error"]["code"].GetInt() == invalid_request);
  }
  SUBCASE("a batch of non-requests answers each one") {
    auto r = reply("[1]");
    REQUIRE(r.value().IsArray());
    CHECK(r.value().Size() == 1);
    r = reply("[1,2,3]");
    REQUIRE(r.value().Size() == 3);
    for (const auto& e : r.value().GetArray()) CHECK(e["error"]["code"].GetInt() == invalid_request);
  }
  SUBCASE("other malformed requests") {
    for (const char* body : {R"({"method":"add","id":1})", R"({"jsonrpc":"1.0","method":"add","id":1})",
                             R"({"jsonrpc":"2.0","id":1})", R"({"jsonrpc":"2.0","method":"add","params":3,"id":1})",
                             R"({"jsonrpc":"2.0","method":"add","id":{"a":1}})", R"("just a string")"}) {
      CAPTURE(body);
      error(body, invalid_request);
    }
  }
}

TEST_CASE_FIXTURE(Fixture, "batches, notifications and ids of every kind") {
  SUBCASE("a mixed batch answers requests, skips notifications, keeps each id") {
    auto r = reply(R"([
      {"jsonrpc":"2.0","method":"add","params":[1,2],"id":"1"},
      {"jsonrpc":"2.0","method":"bump","params":[]},
      {"jsonrpc":"2.0","method":"add","params":[42,23],"id":2},
      {"foo":"boo"},
      {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
      {"jsonrpc":"2.0","method":"tag","id":-9.5},
      {"jsonrpc":"2.0","method":"tag","id":null}])");
    REQUIRE(r.value().IsArray());
    REQUIRE(r.value().Size() == 6);
    const auto& a = r.value();
    CHECK(a[0]["id"] == "1");
    CHECK(a[0]["result"] == 3);
    CHECK(a[1]["result"] == 65);
    CHECK(a[2]["error"]["code"] == roc::error_code::invalid_request);
    CHECK(a[3]["error"]["code"] == roc::error_code::method_not_found);
    CHECK(a[4]["id"].IsNull());  // a fractional id cannot be echoed faithfully: refused
    CHECK(a[4]["error"]["code"] == roc::error_code::invalid_request);
    CHECK(a[5]["id"].IsNull());
    CHECK(a[5]["result"] == "device");
    CHECK(device.counter == 1);  // the notification ran
  }
  SUBCASE("only notifications: an empty reply, even for failing ones") {
    CHECK(dispatcher.handle(R"({"jsonrpc":"2.0","method":"bump"})").empty());
    CHECK(dispatcher.handle(R"([{"jsonrpc":"2.0","method":"bump"},{"jsonrpc":"2.0","method":"nope"},
                                {"jsonrpc":"2.0","method":"fail","params":["runtime"]}])")
              .empty());
    CHECK(device.counter == 2);
  }
  SUBCASE("a large integer id comes back exactly") {
    CHECK(reply(R"({"jsonrpc":"2.0","method":"tag","id":9007199254740993})").value()["id"].GetInt64() ==
          9007199254740993);
  }
}

TEST_CASE_FIXTURE(Fixture, "ids that are not a string, an exact integer or null get -32600 with a null id") {
  using roc::error_code::invalid_request;
  for (const char* id : {"100000000000000000000e300", "-100000000000000000000e300", "1.5", "1.0", "1e2",
                         "18446744073709551616", "true", "false", "[1]", R"({"a":1})"}) {
    CAPTURE(id);
    const std::string body = R"({"jsonrpc":"2.0","method":"tag","id":)" + std::string(id) + "}";
    auto e = error(body, invalid_request);
    auto r = reply(body);
    CHECK(r.value()["id"].IsNull());
    CHECK(std::string(e.value()["message"].GetString()).find("'id' must be a string, an integer") !=
          std::string::npos);
  }
  // An escaped lone surrogate makes a string that is not UTF-8: the body itself is refused.
  (void)error(R"({"jsonrpc":"2.0","method":"tag","id":"\udc00"})", roc::error_code::parse_error);
  CHECK(reply(R"({"jsonrpc":"2.0","method":"tag","id":"\udc00"})").value()["id"].IsNull());
  for (const char* id : {"0", "-0", "-9223372036854775808", "18446744073709551615", R"("")", R"("\u00e9")", "null"}) {
    CAPTURE(id);
    auto r = reply(R"({"jsonrpc":"2.0","method":"tag","id":)" + std::string(id) + "}");
    CHECK(r.value()["result"] == "device");
    CHECK(r.value()["id"] == Json::parse(id).value());
  }
}

TEST_CASE_FIXTURE(Fixture, "a body nested deeper than 256 levels is -32700 naming the limit") {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  auto e = error(deep, roc::error_code::parse_error);
  CHECK(std::string(e.value()["message"].GetString()) ==
        "the request body cannot be read: JSON nested deeper than 256 levels (offset 256)");
  // A legal body at the limit is dispatched: params 255 levels deep inside the request object.
  const std::string params = std::string(255, '[') + std::string(255, ']');
  CHECK(reply(R"({"jsonrpc":"2.0","id":1,"method":"tag","params":)" + params + "}").value()["error"]["code"] ==
        roc::error_code::invalid_params);
}

namespace {
// Results no writer can put into JSON as they are: the dispatcher's last line of defence.
struct Wild {
  roc::Json infinite() const {
    roc::Json j;
    j.value().SetArray();
    j.value().PushBack(std::numeric_limits<double>::infinity(), j.allocator());
    return j;
  }
  std::string not_utf8() const { return "caf\xe9"; }
  double nan() const { return std::numeric_limits<double>::quiet_NaN(); }
  int one() const { return 1; }
};
}  // namespace

TEST_CASE("a result that cannot be written as JSON is -32603 for that request alone") {
  static const auto binding = roc::Binding<Wild>("testing_lab::Wild", "Results JSON cannot hold.")
                                  .method("infinite", &Wild::infinite)
                                  .method("not_utf8", &Wild::not_utf8)
                                  .method("nan", &Wild::nan)
                                  .method("one", &Wild::one);
  Wild wild;
  roc::detail::Dispatcher dispatcher{"wild", binding.table(), &wild};
  auto single = Json::parse(dispatcher.handle(R"({"jsonrpc":"2.0","id":4,"method":"infinite"})"));
  CHECK(single.value()["id"] == 4);
  CHECK(single.value()["error"]["code"] == roc::error_code::internal_error);
  CHECK(std::string(single.value()["error"]["message"].GetString()).find("could not be written as JSON") !=
        std::string::npos);

  const auto text = dispatcher.handle(R"([{"jsonrpc":"2.0","id":1,"method":"infinite"},
      {"jsonrpc":"2.0","id":2,"method":"one"}, {"jsonrpc":"2.0","method":"infinite"},
      {"jsonrpc":"2.0","id":3,"method":"not_utf8"}, {"jsonrpc":"2.0","id":"n","method":"nan"}])");
  INFO(text);
  auto batch = Json::parse(text);  // strict: UTF-8 and no bare infinity
  REQUIRE(batch.value().IsArray());
  REQUIRE(batch.value().Size() == 4);
  const auto& a = batch.value();
  CHECK(a[0]["id"] == 1);
  CHECK(a[0]["error"]["code"] == roc::error_code::internal_error);
  CHECK(a[1]["result"] == 1);
  CHECK(a[2]["id"] == 3);
  CHECK(a[2]["error"]["code"] == roc::error_code::internal_error);
  CHECK(a[3]["result"] == "NaN");  // a double result goes through the codec: a string, not an error
}

TEST_CASE("the broker's error replies: the routing reason wins, ids are checked, depth is limited") {
  using namespace roc::error_code;
  namespace rpc = roc::detail::jsonrpc;
  auto parsed = [](const std::string& text) {
    INFO(text);
    return Json::parse(text);
  };
  SUBCASE("a body that is not JSON gets the routing code with a null id, naming both reasons") {
    for (int code : {object_not_found, object_gone}) {
      auto r = parsed(rpc::error_reply_for("not json", code, "no object 'x' is registered with the broker"));
      CHECK(r.value()["id"].IsNull());
      CHECK(r.value()["error"]["code"] == code);
      CHECK(std::string(r.value()["error"]["message"].GetString()) ==
            "no object 'x' is registered with the broker (and the request body cannot be read: invalid JSON at "
            "offset 1: Invalid value.)");
    }
  }
  SUBCASE("so does one nested too deep") {
    auto r = parsed(rpc::error_reply_for(std::string(300000, '['), object_gone, "gone"));
    CHECK(r.value()["error"]["code"] == object_gone);
    CHECK(std::string(r.value()["error"]["message"].GetString()).find("deeper than 256 levels") != std::string::npos);
  }
  SUBCASE("ids are checked as the worker checks them") {
    auto r = parsed(rpc::error_reply_for(
        R"([{"jsonrpc":"2.0","method":"a","id":100000000000000000000e300},{"jsonrpc":"2.0","method":"a","id":7},{"jsonrpc":"2.0","method":"a"}])",
        object_not_found, "no object"));
    REQUIRE(r.value().Size() == 2);
    CHECK(r.value()[0]["id"].IsNull());
    CHECK(r.value()[0]["error"]["code"] == invalid_request);
    CHECK(r.value()[1]["id"] == 7);
    CHECK(r.value()[1]["error"]["code"] == object_not_found);
  }
  SUBCASE("a message quoting bytes that are not UTF-8 is repaired, not sent broken") {
    auto r = parsed(rpc::error_reply_for(R"({"jsonrpc":"2.0","method":"a","id":1})", object_not_found,
                                         "no object '\xff\xfe' is registered"));
    CHECK(std::string(r.value()["error"]["message"].GetString()) == "no object '\xef\xbf\xbd\xef\xbf\xbd' is registered");
  }
}

TEST_CASE_FIXTURE(Fixture, "properties: fields, getters, getter/setter pairs, read-only ones") {
  using namespace roc::error_code;
  CHECK(result("rpc.get", R"({"name":"counter"})").as<int>() == 0);
  CHECK(result("rpc.set", R"({"name":"counter","value":5})").value().IsNull());
  CHECK(device.counter == 5);
  CHECK(result("rpc.set", R"(["level", 2.5])").value().IsNull());
  CHECK(result("rpc.get", R"(["level"])").as<double>() == 2.5);
  CHECK(result("rpc.get", R"(["serial"])").as<std::string>() == "SN-1");
  CHECK(result("rpc.get", R"(["firmware"])").as<std::string>() == "1.2.3");

  CHECK(call_error("rpc.set", R"(["firmware","2"])", read_only) == "property 'firmware' of object 'dev' is read-only");
  CHECK(call_error("rpc.set", R"(["serial","2"])", read_only) == "property 'serial' of object 'dev' is read-only");
  CHECK(call_error("rpc.set", R"(["level",-1])", method_threw).find("level must not be negative") != std::string::npos);
  CHECK(call_error("rpc.set", R"(["counter","many"])", invalid_params) ==
        "value of property 'counter': expected int64, got a string");
  CHECK(device.counter == 5);  // a rejected value changes nothing
  CHECK(call_error("rpc.get", R"(["colour"])", invalid_params) ==
        "object 'dev' (testing_lab::Device) has no property 'colour'");
  CHECK(call_error("rpc.get", "[]", invalid_params) == "rpc.get needs parameter 'name'");
  CHECK(call_error("rpc.get", "[3]", invalid_params) == "parameter 'name' of rpc.get must be a string, got the integer 3");
  CHECK(call_error("rpc.set", R"(["level"])", invalid_params) == "rpc.set needs parameter 'value'");
}

TEST_CASE_FIXTURE(Fixture, "system methods: ping, describe, signature") {
  CHECK(result("rpc.ping", "[]").as<std::string>() == "pong");
  auto d = result("rpc.describe", "[]");
  CHECK(d.value()["roc_idl"] == 1);
  const auto& v = d.value()["objects"][0];
  CHECK(v["name"] == "testing_lab::Device");
  // Without a signature from roc-gen, the binding's own description is hashed, and both
  // rpc.signature and rpc.describe carry that hash.
  auto signature = result("rpc.signature", "[]").as<std::string>();
  CHECK(signature.size() == 16);
  CHECK(v["signature"] == signature.c_str());
  // Named types the binding cannot see into are listed as external.
  bool shape_listed = false;
  for (const auto& t : d.value()["types"].GetArray())
    shape_listed = shape_listed || (t["name"] == "testing_lab::Shape" && t["kind"] == "external");
  CHECK(shape_listed);
  bool found_add = false;
  for (const auto& m : v["methods"].GetArray())
    if (m["name"] == "add") {
      found_add = true;
      CHECK(m["params"][0]["name"] == "a");
      CHECK(m["params"][1]["type"] == "int32");
      CHECK(m["returns"] == "int32");
      CHECK(m["doc"] == "Adds two integers.");
      CHECK(m["const"] == true);
      CHECK_FALSE(m.HasMember("cxx"));
    }
  CHECK(found_add);
  bool found_firmware = false;
  for (const auto& p : v["properties"].GetArray())
    if (p["name"] == "firmware") {
      found_firmware = true;
      CHECK(p["readonly"] == true);
      CHECK(p["type"] == "string");
    }
  CHECK(found_firmware);
  CHECK(call_error("rpc.nothing", "[]", roc::error_code::method_not_found).find("not a system method") !=
        std::string::npos);
}

TEST_CASE("a binding refuses mistakes when it is built") {
  using testing_lab::Device;
  CHECK_THROWS_WITH(roc::Binding<Device>("D").method("add", &Device::add, {"a"}),
                    "binding of 'add' names 1 parameters, the method has 2");
  CHECK_THROWS_WITH(roc::Binding<Device>("D").method("tag", &Device::tag).method("tag", &Device::tag),
                    "binding of 'D': method 'tag' is bound twice");
  CHECK_THROWS_WITH(roc::Binding<Device>("D").method("rpc.tag", &Device::tag),
                    "binding of 'D': method name 'rpc.tag' is reserved (rpc.*)");
}

TEST_CASE("describe_as and signature come back verbatim") {
  testing_lab::Device device;
  auto binding = roc::Binding<testing_lab::Device>("D").method("tag", &testing_lab::Device::tag)
                     .signature("abc123").describe_as(R"({"name":"D","custom":true})");
  roc::detail::Dispatcher d("dev", binding.table(), &device);
  CHECK(Json::parse(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"rpc.describe"})")).value()["result"]["custom"] == true);
  CHECK(Json::parse(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"rpc.signature"})")).value()["result"] == "abc123");
}

TEST_CASE_FIXTURE(Fixture, "a call that leaves out a defaulted parameter gets the default") {
  CHECK(result("configure", "[3]").as<std::string>() == "3 calibrated green");
  CHECK(result("configure", "[3,false]").as<std::string>() == "3 raw green");
  CHECK(result("configure", R"([3,false,"blue"])").as<std::string>() == "3 raw blue");
  SUBCASE("by name, any defaulted parameter may be left out") {
    CHECK(result("configure", R"({"channel":3,"colour":"red"})").as<std::string>() == "3 calibrated red");
  }
  SUBCASE("a parameter without a default is still needed") {
    CHECK(call_error("configure", R"({"colour":"red"})", roc::error_code::invalid_params) ==
          "method 'configure' needs parameter 'channel' (int32)");
  }
}

TEST_CASE_FIXTURE(Fixture, "in/out parameters come back in the result object, in parameter order") {
  CHECK(result("read_line", R"(["abc"])") == Json::parse(R"({"return":true,"line":"<abc>"})"));
  CHECK(result("read_line", R"({"line":""})") == Json::parse(R"({"return":false,"line":""})"));
  CHECK(result("get_distance", "[[5,6]]") == Json::parse(R"({"return":3,"data":[5,6,2]})"));
  SUBCASE("a void method's return is null, and defaults apply to the other parameters") {
    CHECK(result("scale", "[1.5]") == Json::parse(R"({"return":null,"value":3.0})"));
  }
  SUBCASE("several in/out parameters keep their order") {
    auto r = result("swap_ends", R"(["a","b"])");
    REQUIRE(r.value().MemberCount() == 3);
    auto member = r.value().MemberBegin();
    CHECK((member++)->name == "return");
    CHECK((member++)->name == "first");
    CHECK(member->name == "second");
    CHECK(r.value()["first"] == "b");
  }
  SUBCASE("an in/out parameter is still a parameter the call must give") {
    CHECK(call_error("read_line", "[]", roc::error_code::invalid_params) ==
          "method 'read_line' needs parameter 'line' (string)");
    CHECK(call_error("read_line", "[7]", roc::error_code::invalid_params) ==
          "parameter 'line' of 'read_line': expected string, got the integer 7");
  }
}

TEST_CASE_FIXTURE(Fixture, "a const char* parameter is a string, and a null C string result is null") {
  CHECK(result("length", R"(["héllo"])").as<std::uint64_t>() == 6);
  CHECK(result("length", R"({"text":""})").as<std::uint64_t>() == 0);
  CHECK(call_error("length", "[null]", roc::error_code::invalid_params) ==
        "parameter 'text' of 'length': expected string, got null");
  CHECK(result("lamp_name", "[true]").as<std::string>() == "lamp");
  CHECK(result("lamp_name", "[false]").value().IsNull());
}

TEST_CASE_FIXTURE(Fixture, "a builder method answers null, also when it returns a base of the object") {
  CHECK(result("with_gain", "[4]").value().IsNull());
  CHECK(device.gain == 4);
  CHECK(result("dim", "[3]").value().IsNull());
  CHECK(device.brightness == 7);
}

TEST_CASE_FIXTURE(Fixture, "rpc.describe shows defaults, in/out parameters, C strings and builders") {
  auto d = result("rpc.describe", "[]");
  auto method = [&](const char* name) -> const roc::json::Value& {
    for (const auto& m : d.value()["objects"][0]["methods"].GetArray())
      if (m["name"] == name) return m;
    FAIL("no method " << name);
    throw std::logic_error("unreachable");
  };
  const auto& configure = method("configure");
  CHECK_FALSE(configure["params"][0].HasMember("default"));
  CHECK(configure["params"][1]["default"] == true);
  CHECK(configure["params"][2]["default"] == "green");
  CHECK(method("read_line")["params"][0]["inout"] == true);
  CHECK(method("read_line")["params"][0]["type"] == "string");
  CHECK_FALSE(method("scale")["params"][1].HasMember("inout"));
  CHECK(method("length")["params"][0]["type"] == "string");
  CHECK(method("lamp_name")["returns"] == "string");
  CHECK(method("with_gain")["returns"] == "void");
  CHECK(method("with_gain")["returns_self"] == true);
  CHECK(method("dim")["returns_self"] == true);
}

TEST_CASE("a binding refuses a default that is not JSON or does not fit its parameter") {
  using testing_lab::Device;
  CHECK_THROWS_WITH_AS(roc::Binding<Device>("D").method("add", &Device::add, {"a", {"b", "seven"}}),
                       doctest::Contains("binding of 'add': the default of parameter 'b' is not JSON"),
                       std::logic_error);
  CHECK_THROWS_WITH_AS(roc::Binding<Device>("D").method("add", &Device::add, {"a", {"b", R"("seven")"}}),
                       "binding of 'add': the default of parameter 'b' does not fit its type int32: expected "
                       "int32, got a string",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(roc::Binding<Device>("D").method("configure", &Device::configure,
                                                        {"channel", "calibrated", {"colour", R"("mauve")"}}),
                       doctest::Contains("'mauve', which is not one of its values"), std::logic_error);
  CHECK_THROWS_WITH_AS(roc::Binding<Device>("D").method("read_line", &Device::read_line, {"return"}),
                       "binding of 'read_line': an in/out parameter cannot be named 'return'", std::logic_error);
}

TEST_CASE("the read-only check names the first method it refuses, in a request or a batch") {
  namespace rpc = roc::detail::jsonrpc;
  auto reads = [](std::string_view method) { return method.substr(0, 4) == "rpc."; };
  CHECK_FALSE(rpc::first_method_refused(R"({"jsonrpc":"2.0","method":"rpc.get","params":["fps"],"id":1})", reads));
  CHECK_FALSE(rpc::first_method_refused(
      R"([{"jsonrpc":"2.0","method":"rpc.get","id":1},{"jsonrpc":"2.0","method":"rpc.ping","id":2}])", reads));
  CHECK(rpc::first_method_refused(
            R"([{"jsonrpc":"2.0","method":"rpc.get","id":1},{"jsonrpc":"2.0","method":"set_fps","id":2}])", reads) ==
        "set_fps");
  // What cannot be read as a request is refused too, never let through.
  CHECK(rpc::first_method_refused("not json", reads)->find("not JSON") != std::string::npos);
  CHECK(rpc::first_method_refused(R"({"jsonrpc":"2.0","id":1})", reads) == "(a request without a method)");
  CHECK(rpc::first_method_refused(R"([1])", reads) == "(a request that is not an object)");
  CHECK(rpc::first_method_refused(std::string(300000, '['), reads).has_value());
}

namespace {

struct Camera {
  // The context between wire parameters: positions and names skip it.
  double expose(double seconds, roc::CallContext& ctx, int frames) {
    ctx.progress(0.5, "halfway");  // nobody asked: a no-op
    return seconds * frames + (ctx.cancelled() ? 1000 : 0) + (ctx.wants_progress() ? 100 : 0);
  }
  std::string whose(const roc::CallContext& ctx) const { return std::string(ctx.object_id()); }
  void abort(roc::CallContext&) { throw roc::Cancelled("cancelled: stopped at frame 3"); }
  int plain(int x) { return x; }
};

const roc::Binding<Camera>& camera_binding() {
  static const auto binding = roc::Binding<Camera>("lab::Camera")
                                  .method("expose", &Camera::expose, {"seconds", {"frames", "1"}})
                                  .method("whose", &Camera::whose)
                                  .method("abort", &Camera::abort)
                                  .method("plain", &Camera::plain, {"x"});
  return binding;
}

struct CameraFixture {
  Camera camera;
  roc::detail::Dispatcher dispatcher{"cam", camera_binding().table(), &camera};
  Json reply(const std::string& method, const std::string& params) {
    return Json::parse(dispatcher.handle(R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}"));
  }
};

}  // namespace

TEST_CASE_FIXTURE(CameraFixture, "a CallContext parameter is no wire parameter: positions, names and counts skip it") {
  CHECK(reply("expose", "[2.0, 3]").value()["result"].GetDouble() == 6.0);
  CHECK(reply("expose", R"({"frames": 3, "seconds": 2.0})").value()["result"].GetDouble() == 6.0);
  CHECK(reply("expose", "[2.0]").value()["result"].GetDouble() == 2.0);  // frames' default
  auto too_many = reply("expose", "[2.0, 3, 4]");
  CHECK(too_many.value()["error"]["code"].GetInt() == roc::error_code::invalid_params);
  CHECK(std::string(too_many.value()["error"]["message"].GetString()) == "method 'expose' takes 2 parameters, got 3");
  auto named_ctx = reply("expose", R"({"seconds": 1.0, "ctx": {}})");
  CHECK(named_ctx.value()["error"]["code"].GetInt() == roc::error_code::invalid_params);
  CHECK(reply("whose", "[]").value()["result"] == "");  // no call around it: an empty context
}

TEST_CASE_FIXTURE(CameraFixture, "a method that throws roc::Cancelled answers -32008 with its message") {
  auto r = reply("abort", "[]");
  CHECK(r.value()["error"]["code"].GetInt() == roc::error_code::cancelled);
  CHECK(std::string(r.value()["error"]["message"].GetString()) == "cancelled: stopped at frame 3");
  CHECK_FALSE(r.value()["error"].HasMember("data"));
}

TEST_CASE_FIXTURE(CameraFixture, "rpc.describe marks methods taking a context progress and cancellable, without it") {
  const auto described = reply("rpc.describe", "[]");
  INFO(described.dump());
  const auto& methods = described.value()["result"]["objects"][0]["methods"];
  REQUIRE(methods.Size() == 4);
  auto& expose = methods[0];
  CHECK(expose["progress"] == true);
  CHECK(expose["cancellable"] == true);
  REQUIRE(expose["params"].Size() == 2);
  CHECK(expose["params"][0]["name"] == "seconds");
  CHECK(expose["params"][1]["name"] == "frames");
  CHECK_FALSE(expose["params"][0].HasMember("inout"));
  CHECK(methods[2]["progress"] == true);  // abort: a context and nothing else
  CHECK(methods[2]["params"].Size() == 0);
  CHECK_FALSE(methods[3].HasMember("progress"));
  CHECK_FALSE(methods[3].HasMember("cancellable"));
  const auto& table = *camera_binding().table();
  CHECK(table.methods[0].progress);
  CHECK(table.methods[0].cancellable);
  CHECK_FALSE(table.methods[3].progress);
}

TEST_CASE("a binding counts a method's parameters without its CallContext") {
  CHECK_THROWS_WITH_AS(roc::Binding<Camera>("lab::Camera").method("expose", &Camera::expose, {"seconds", "ctx", "frames"}),
                       "binding of 'expose' names 3 parameters, the method has 2 besides its roc::CallContext",
                       std::logic_error);
}

TEST_CASE("outside a call the context is empty: no object, no deadline, never cancelled, progress goes nowhere") {
  auto& ctx = roc::CallContext::current();
  CHECK(ctx.object_id().empty());
  CHECK_FALSE(ctx.deadline());
  CHECK_FALSE(ctx.remaining());
  CHECK_FALSE(ctx.expired());
  CHECK_FALSE(ctx.cancelled());
  CHECK_NOTHROW(ctx.throw_if_cancelled());
  CHECK_FALSE(ctx.wants_progress());
  CHECK_NOTHROW(ctx.progress(0.5, "nowhere"));
  bool ran = false;
  ctx.on_cancel([&] { ran = true; });
  CHECK_FALSE(ctx.wait_cancelled(std::chrono::milliseconds(1)));
  CHECK_FALSE(ran);
  const roc::CallContext timed("x", roc::CallContext::Clock::now() + std::chrono::seconds(10));
  CHECK(timed.remaining()->count() > 9000);
  CHECK_FALSE(timed.expired());
}
