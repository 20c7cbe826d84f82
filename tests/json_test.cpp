// Conversions: every type of DESIGN §5's table both ways, range checks, and errors that name the path.
#include <doctest/doctest.h>

#include <roc/json.hpp>

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

TEST_CASE("non-finite floating-point values travel as null") {
  CHECK(to_text(std::numeric_limits<double>::infinity()) == "null");
  CHECK(std::isnan(from_text<double>("null")));
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
