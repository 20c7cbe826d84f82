// Fuzzes roc's JSON conversions (roc/json.hpp) on any JSON a peer can send: the text is read as
// the network paths read it (roc::json::read), then decoded into every kind of type a method
// parameter can have. A decode either succeeds or throws DecodeError; a decoded value encodes
// back to JSON that decodes to the same value (compared as JSON) and prints as valid JSON.
#include "support/test_device.hpp"

#include <roc/json.hpp>
#include <roc/json_reader.hpp>

#include <cstdlib>

namespace {

using namespace testing_lab;

void check(bool condition) {
  if (!condition) std::abort();
}

template <class T>
void round_trip(const roc::json::Value& in) {
  T value{};
  try {
    roc::json::decode(in, value);
  } catch (const roc::json::DecodeError& error) {
    (void)error.path();  // the message is built while the error travels up: read it all
    return;
  }
  roc::json::Json encoded;
  roc::json::encode(value, encoded.value(), encoded.allocator());
  T again{};
  roc::json::decode(encoded.value(), again);  // a DecodeError here escapes: a bug
  roc::json::Json reencoded;
  roc::json::encode(again, reencoded.value(), reencoded.allocator());
  // Same text, or else same value: an unordered_map may list its members in another order, and
  // RapidJSON's value comparison finds only the first of duplicate keys ({"":1,"":2} != itself).
  const std::string text = encoded.dump();
  check(reencoded.dump() == text || reencoded == encoded);
  rapidjson::Document printed;
  check(!roc::json::read(printed, text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rapidjson::Document doc;
  if (roc::json::read(doc, {reinterpret_cast<const char*>(data), size})) return 0;
  const roc::json::Value& v = doc;

  round_trip<bool>(v);
  round_trip<std::int8_t>(v);
  round_trip<std::uint8_t>(v);
  round_trip<std::int16_t>(v);
  round_trip<std::uint16_t>(v);
  round_trip<std::int32_t>(v);
  round_trip<std::uint32_t>(v);
  round_trip<std::int64_t>(v);
  round_trip<std::uint64_t>(v);
  round_trip<long>(v);
  round_trip<float>(v);
  round_trip<double>(v);
  round_trip<std::string>(v);
  round_trip<std::vector<std::int32_t>>(v);
  round_trip<std::vector<double>>(v);
  round_trip<std::vector<std::string>>(v);
  round_trip<std::array<int, 3>>(v);
  round_trip<std::map<std::string, std::int64_t>>(v);
  round_trip<std::unordered_map<std::string, std::string>>(v);
  round_trip<std::map<std::string, std::vector<std::optional<std::uint16_t>>>>(v);
  round_trip<std::optional<std::string>>(v);
  round_trip<std::optional<std::vector<std::uint8_t>>>(v);
  round_trip<std::pair<int, std::string>>(v);
  round_trip<std::tuple<int, double, std::string>>(v);
  round_trip<std::chrono::milliseconds>(v);
  round_trip<std::chrono::duration<double>>(v);
  round_trip<Colour>(v);
  round_trip<Shape>(v);
  round_trip<std::vector<Shape>>(v);
  round_trip<std::optional<Shape>>(v);
  round_trip<roc::json::Json>(v);
  return 0;
}
