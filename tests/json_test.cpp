// Conversions: every type the README lists under Types both ways, range checks, and errors that name the path.
#include <doctest/doctest.h>

#include <roc/json.hpp>
#include <roc/json_reader.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace lab {
struct Roi {
  int x = 0, y = 0;
  std::optional<std::string> label;
  bool operator==(const Roi& o) const { return x == o.x && y == o.y && label == o.label; }
};
inline void to_json(roc::json::Value& out, const Roi& v, roc::json::Allocator& a) {
  out.SetObject();
  roc::json::write_member(out, "x", v.x, a);
  roc::json::write_member(out, "y", v.y, a);
  roc::json::write_member(out, "label", v.label, a);
}
inline void from_json(const roc::json::Value& in, Roi& v) {
  roc::json::require_object(in, "lab::Roi");
  roc::json::read_member(in, "x", v.x);
  roc::json::read_member(in, "y", v.y);
  roc::json::read_member(in, "label", v.label);
}
enum class Mode { idle, live };
enum class Plain { a, b };
}  // namespace lab

template <>
struct roc::json::TypeName<lab::Roi> {
  static std::string get() { return "lab::Roi"; }
};
template <>
struct roc::json::TypeName<lab::Mode> {
  static std::string get() { return "lab::Mode"; }
};
template <>
struct roc::json::EnumNames<lab::Mode> {
  static constexpr std::array<std::pair<lab::Mode, const char*>, 2> values{
      {{lab::Mode::idle, "idle"}, {lab::Mode::live, "live"}}};
};

namespace {

template <class T>
std::string to_text(const T& v) {
  roc::json::Document doc;
  roc::json::encode(v, doc, doc.GetAllocator());
  return roc::json::to_string(doc);
}

template <class T>
T from_text(const std::string& text) {
  return roc::Json::parse(text).as<T>();
}

template <class T>
void round_trip(const T& v, const std::string& expected_text) {
  CAPTURE(expected_text);
  CHECK(to_text(v) == expected_text);
  CHECK(from_text<T>(expected_text) == v);
}

}  // namespace

TEST_CASE("every type of the mapping table converts both ways") {
  round_trip(true, "true");
  round_trip(std::int8_t{-128}, "-128");
  round_trip(std::uint64_t{18446744073709551615ull}, "18446744073709551615");
  round_trip(std::int64_t{-9223372036854775807ll - 1}, "-9223372036854775808");
  round_trip(2.5, "2.5");
  round_trip(2.5f, "2.5");
  round_trip(std::string("héllo \"q\""), R"("héllo \"q\"")");
  round_trip(std::vector<int>{1, 2, 3}, "[1,2,3]");
  round_trip(std::array<std::uint16_t, 2>{7, 8}, "[7,8]");
  round_trip(std::map<std::string, double>{{"a", 1.5}}, R"({"a":1.5})");
  round_trip(std::unordered_map<std::string, int>{{"k", 1}}, R"({"k":1})");
  round_trip(std::optional<int>{}, "null");
  round_trip(std::optional<int>{4}, "4");
  round_trip(std::pair<int, std::string>{1, "a"}, R"([1,"a"])");
  round_trip(std::tuple<int, bool, double>{1, false, 0.5}, "[1,false,0.5]");
  round_trip(std::chrono::milliseconds{250}, "250");
  round_trip(std::chrono::duration<double>{1.5}, "1.5");
  round_trip(lab::Mode::live, R"("live")");
  round_trip(lab::Roi{1, 2, std::nullopt}, R"({"x":1,"y":2,"label":null})");
  round_trip(std::vector<lab::Roi>{{1, 2, "a"}}, R"([{"x":1,"y":2,"label":"a"}])");
}

TEST_CASE("types are spelled in the IDL's notation") {
  using roc::json::type_name;
  CHECK(type_name<bool>() == "bool");
  CHECK(type_name<std::int16_t>() == "int16");
  CHECK(type_name<unsigned>() == "uint32");
  CHECK(type_name<float>() == "float");
  CHECK(type_name<const std::string&>() == "string");
  CHECK(type_name<std::vector<std::vector<double>>>() == "array<array<double>>");
  CHECK(type_name<std::array<int, 3>>() == "array<int32,3>");
  CHECK(type_name<std::map<std::string, bool>>() == "map<bool>");
  CHECK(type_name<std::optional<lab::Roi>>() == "optional<lab::Roi>");
  CHECK(type_name<std::tuple<int, std::string>>() == "tuple<int32,string>");
  CHECK(type_name<std::chrono::microseconds>() == "duration<int64,us>");
  CHECK(type_name<lab::Mode>() == "lab::Mode");
  CHECK(type_name<void>() == "void");
  CHECK(type_name<roc::Json>() == "json");
}

TEST_CASE("integers are range-checked and integral doubles accepted") {
  CHECK(from_text<int>("3.0") == 3);
  CHECK_THROWS_WITH(from_text<std::uint8_t>("256"), doctest::Contains("outside 0..255"));
  CHECK_THROWS_WITH(from_text<std::int8_t>("-129"), doctest::Contains("outside -128..127"));
  CHECK_THROWS_WITH(from_text<unsigned>("-1"), doctest::Contains("outside 0..4294967295"));
  CHECK_THROWS_WITH(from_text<int>("2.5"), doctest::Contains("not an integer"));
  CHECK_THROWS_WITH(from_text<int>("\"7\""), doctest::Contains("expected int32, got a string"));
  CHECK_THROWS_AS(from_text<std::int64_t>("1e30"), roc::json::DecodeError);
}

TEST_CASE("non-finite floating-point values travel as the strings NaN, Infinity and -Infinity") {
  CHECK(to_text(std::numeric_limits<double>::infinity()) == R"("Infinity")");
  CHECK(to_text(-std::numeric_limits<float>::infinity()) == R"("-Infinity")");
  CHECK(to_text(std::numeric_limits<double>::quiet_NaN()) == R"("NaN")");
  CHECK(to_text(std::vector<double>{1.5, std::numeric_limits<double>::infinity()}) == R"([1.5,"Infinity"])");
  CHECK(from_text<double>(R"("Infinity")") == std::numeric_limits<double>::infinity());
  CHECK(from_text<float>(R"("-Infinity")") == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(from_text<double>(R"("NaN")")));
  CHECK(std::isnan(from_text<double>("null")));  // what roc sent before, and what some senders send
  CHECK(from_text<double>("2.5") == 2.5);
  CHECK_THROWS_WITH(from_text<double>(R"("inf")"), doctest::Contains("expected double, got a string"));
  CHECK_THROWS_WITH(from_text<float>("true"), doctest::Contains("expected float, got a boolean"));
}

TEST_CASE("json::read takes nesting up to the limit and refuses one level more, without recursing") {
  using roc::json::max_depth;
  auto nested = [](std::size_t depth, char open = '[', char close = ']') {
    return std::string(depth, open) + std::string(depth, close);
  };
  rapidjson::Document doc;
  REQUIRE(max_depth == 256);
  SUBCASE("256 levels are read") {
    CHECK_FALSE(roc::json::read(doc, nested(256)));
    CHECK(doc.IsArray());
  }
  SUBCASE("257 levels are refused, naming the limit and where") {
    const auto error = roc::json::read(doc, nested(257));
    REQUIRE(error);
    CHECK(error.too_deep);
    CHECK(error.offset == 256);  // the bracket that opens level 257
    CHECK(error.message == "JSON nested deeper than 256 levels (offset 256)");
    CHECK(doc.IsNull());
  }
  SUBCASE("objects count like arrays") {
    std::string ok, deep;
    for (int i = 0; i < 256; ++i) ok += R"({"a":)";
    ok += "1" + std::string(256, '}');
    CHECK_FALSE(roc::json::read(doc, ok));
    deep = R"({"a":)" + ok + "}";
    CHECK(roc::json::read(doc, deep).too_deep);
  }
  SUBCASE("a limit of the caller's own") {
    CHECK_FALSE(roc::json::read(doc, nested(3), 3));
    CHECK(roc::json::read(doc, nested(4), 3).message == "JSON nested deeper than 3 levels (offset 3)");
  }
  SUBCASE("a million levels cost one refusal, not the stack") {
    const auto error = roc::json::read(doc, nested(1000000));
    CHECK(error.too_deep);
    CHECK(error.offset == 256);
    CHECK(roc::json::read(doc, std::string(1000000, '[')).too_deep);  // unclosed, too
  }
  SUBCASE("bad syntax says where and what") {
    auto error = roc::json::read(doc, R"({"a":tru})");
    REQUIRE(error);
    CHECK_FALSE(error.too_deep);
    CHECK(error.offset == 8);
    CHECK(error.message == "invalid JSON at offset 8: Invalid value.");
    CHECK(roc::json::read(doc, "").message == "invalid JSON at offset 0: The document is empty.");
    CHECK(roc::json::read(doc, "[1] x").message ==
          "invalid JSON at offset 4: The document root must not be followed by other values.");
    CHECK_FALSE(roc::json::read(doc, "  [1]\n"));  // whitespace around is fine
  }
  SUBCASE("text that is not UTF-8 is refused; escapes are read") {
    CHECK(roc::json::read(doc, "[\"\xff\"]").message.find("Invalid encoding in string") != std::string::npos);
    CHECK(roc::json::read(doc, "\xef\xbb\xbf[1]"));  // a byte-order mark is not JSON
    REQUIRE_FALSE(roc::json::read(doc, R"(["\u00e9\u0000x"])"));
    CHECK(std::string(doc[0].GetString(), doc[0].GetStringLength()) == std::string("\xc3\xa9\0x", 4));
  }
  SUBCASE("Json::parse uses it") {
    CHECK_NOTHROW(roc::Json::parse(nested(256)));
    CHECK_THROWS_WITH_AS(roc::Json::parse(nested(100000)), "JSON nested deeper than 256 levels (offset 256)",
                         std::invalid_argument);
  }
}

namespace {
// Counts values; proves DepthLimit passes everything through to a handler of one's own.
struct Counter : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Counter> {
  int values = 0;
  bool Default() {
    ++values;
    return true;
  }
};
}  // namespace

TEST_CASE("DepthLimit stops a SAX parse at the limit and says it was the limit") {
  auto parse = [](const std::string& text, Counter& counter) {
    roc::json::DepthLimit<Counter> guard(counter, 2);
    rapidjson::Reader reader;
    rapidjson::StringStream stream(text.c_str());
    auto result = reader.Parse<roc::json::reader_flags>(stream, guard);
    return roc::json::read_error(result, guard, 2);
  };
  Counter counter;
  CHECK_FALSE(parse("[[1,2],3]", counter));
  CHECK(counter.values == 7);  // two arrays opened and closed, three numbers
  Counter deep;
  auto error = parse("[[[1]]]", deep);
  CHECK(error.too_deep);
  CHECK(error.message == "JSON nested deeper than 2 levels (offset 2)");
  Counter bad;
  error = parse("[[1,]]", bad);
  CHECK_FALSE(error.too_deep);
  CHECK(error.message.rfind("invalid JSON at offset 4", 0) == 0);
}

TEST_CASE("decode errors name the path to the bad value") {
  SUBCASE("inside a struct inside an array") {
    try {
      from_text<std::vector<lab::Roi>>(R"([{"x":1,"y":2},{"x":"one","y":2}])");
      FAIL("no error");
    } catch (const roc::json::DecodeError& e) {
      CHECK(e.path() == "[1].x");
      CHECK(std::string(e.what()) == "expected int32 at '[1].x', got a string");
    }
  }
  SUBCASE("a missing member, unless it is optional") {
    CHECK(from_text<lab::Roi>(R"({"x":1,"y":2})") == lab::Roi{1, 2, std::nullopt});
    CHECK_THROWS_WITH(from_text<lab::Roi>(R"({"x":1})"), doctest::Contains("at 'y', got nothing"));
  }
  SUBCASE("a std::array of the wrong length") {
    CHECK_THROWS_WITH((from_text<std::array<int, 3>>("[1,2]")), doctest::Contains("array of 2 elements"));
  }
  SUBCASE("an unknown enum name") {
    CHECK_THROWS_WITH(from_text<lab::Mode>(R"("off")"), doctest::Contains("'off', which is not one of its values"));
  }
  SUBCASE("a map value") {
    CHECK_THROWS_WITH((from_text<std::map<std::string, int>>(R"({"a":1,"b":true})")),
                      doctest::Contains("at 'b'"));
  }
}

TEST_CASE("Json owns, copies, compares and prints values") {
  auto a = roc::Json::parse(R"({"k":[1,2]})");
  roc::Json b = a;
  CHECK(a == b);
  CHECK(b.dump() == R"({"k":[1,2]})");
  CHECK(b.as<std::map<std::string, std::vector<int>>>().at("k").size() == 2);
  CHECK_THROWS_WITH(roc::Json::parse("{"), doctest::Contains("invalid JSON at offset 1"));
}

TEST_CASE("a C string result is a string, and a null one is null") {
  const char* text = "lamp";
  CHECK(to_text(text) == R"("lamp")");
  CHECK(to_text(static_cast<const char*>(nullptr)) == "null");
  CHECK(roc::json::type_name<const char*>() == "string");
}

TEST_CASE("has_enum_names_v tells enums that travel by name from those that travel as integers") {
  static_assert(roc::json::has_enum_names_v<lab::Mode>);
  static_assert(!roc::json::has_enum_names_v<lab::Plain>);
  CHECK(to_text(lab::Plain::b) == "1");
}

TEST_CASE("a number that reads as infinity prints as the string Infinity, never as broken JSON") {
  auto j = roc::Json::parse("[1.797976931348623157e308,-100000000000000000000e300,2]");
  CHECK(j.dump() == R"(["Infinity","-Infinity",2])");
  CHECK(roc::Json::parse(j.pretty()).dump() == j.dump());
}

TEST_CASE("an escaped lone surrogate is refused: the string it makes is not UTF-8") {
  rapidjson::Document doc;
  auto error = roc::json::read(doc, R"(["fine \ud83d\ude00", "lone \ude00"])");
  REQUIRE(error);
  CHECK(error.message.find("lone surrogate") != std::string::npos);
  CHECK_FALSE(roc::json::read(doc, R"(["pair \ud83d\ude00"])"));
}
