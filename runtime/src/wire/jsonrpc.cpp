// JSON-RPC 2.0 envelope rules (request validation, response writing), per the 2.0 specification.
#include "wire/jsonrpc.hpp"

#include "roc/error.hpp"
#include "roc/json.hpp"
#include "roc/json_reader.hpp"

#include <fmt/format.h>

namespace roc::detail::jsonrpc {
using roc::json::is_utf8;
using roc::json::utf8_sequence;

std::string valid_utf8(std::string_view text) {
  if (is_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  while (!text.empty()) {
    const auto n = utf8_sequence(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
    } else {
      out.append(text.data(), n);
      text.remove_prefix(n);
    }
  }
  return out;
}

bool valid_id(const rapidjson::Value& id) noexcept {
  if (id.IsString()) return is_utf8({id.GetString(), id.GetStringLength()});
  return id.IsNull() || id.IsInt64() || id.IsUint64();
}

std::string validate(const rapidjson::Value& message, Request& out) {
  out = Request{};
  if (!message.IsObject()) return "a request must be a JSON object";

  auto id = message.FindMember("id");
  if (id != message.MemberEnd()) {
    if (!valid_id(id->value)) {
      out.id_refused = true;
      return "'id' must be a string, an integer (of at most 64 bits) or null, got " +
             json::describe_kind(id->value);
    }
    out.id = &id->value;
  }

  auto version = message.FindMember("jsonrpc");
  if (version == message.MemberEnd() || !version->value.IsString() ||
      std::string_view(version->value.GetString(), version->value.GetStringLength()) != "2.0")
    return R"(member "jsonrpc" must be exactly "2.0")";

  auto method = message.FindMember("method");
  if (method == message.MemberEnd()) return "member 'method' is missing";
  if (!method->value.IsString()) return "member 'method' must be a string";
  out.method = std::string_view(method->value.GetString(), method->value.GetStringLength());

  auto params = message.FindMember("params");
  if (params != message.MemberEnd()) {
    if (!params->value.IsArray() && !params->value.IsObject())
      return "member 'params' must be an array or an object";
    out.params = &params->value;
  }
  return {};
}

// An id valid_id() refuses is written as null: whoever passed it, the reply stays valid JSON.
static void write_id(Writer& w, const rapidjson::Value* id) {
  if (id == nullptr || !valid_id(*id))
    w.Null();
  else
    id->Accept(w);
}

void begin_result(Writer& w, const rapidjson::Value* id) {
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  w.Key("id");
  write_id(w, id);
  w.Key("result");
}

void end_response(Writer& w) { w.EndObject(); }

void write_error(Writer& w, const rapidjson::Value* id, int code, std::string_view message,
                 std::string_view data_json) {
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  w.Key("id");
  write_id(w, id);
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("message");
  const auto text = valid_utf8(message);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  if (!data_json.empty()) {
    w.Key("data");
    w.RawValue(data_json.data(), data_json.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  w.EndObject();
}

std::string error_response(const rapidjson::Value* id, int code, std::string_view message,
                           std::string_view data_json) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  write_error(w, id, code, message, data_json);
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::string> first_method_refused(std::string_view request_body, bool (*allowed)(std::string_view)) {
  rapidjson::Document doc;
  if (auto error = json::read(doc, request_body)) return fmt::format("(a body that is not JSON: {})", error.message);
  auto check = [&](const rapidjson::Value& request) -> std::optional<std::string> {
    if (!request.IsObject()) return std::string("(a request that is not an object)");
    auto method = request.FindMember("method");
    if (method == request.MemberEnd() || !method->value.IsString()) return std::string("(a request without a method)");
    std::string_view name(method->value.GetString(), method->value.GetStringLength());
    if (allowed(name)) return std::nullopt;
    return std::string(name);
  };
  if (!doc.IsArray()) return check(doc);
  for (const auto& request : doc.GetArray())
    if (auto refused = check(request)) return refused;
  return std::nullopt;
}

std::string error_reply_for(std::string_view request_body, int code, std::string_view message) {
  rapidjson::Document doc;
  if (auto error = json::read(doc, request_body))
    return error_response(nullptr, code, fmt::format("{} (and the request body cannot be read: {})", message,
                                                      error.message));

  return respond(doc, [&](const rapidjson::Value& request, Writer& w) {
    Request r;
    const auto why = validate(request, r);
    if (r.id_refused) {
      write_error(w, nullptr, error_code::invalid_request, "invalid JSON-RPC 2.0 request: " + why);
      return Responded::whole;
    }
    if (request.IsObject() && r.id == nullptr) return Responded::nothing;  // a notification
    write_error(w, r.id, code, message);
    return Responded::whole;
  });
}

}  // namespace roc::detail::jsonrpc
