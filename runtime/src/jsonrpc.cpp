// JSON-RPC 2.0 envelope rules (request validation, response writing), per the 2.0 specification.
#include "jsonrpc.hpp"

#include "roc/error.hpp"

#include <fmt/format.h>

namespace roc::detail::jsonrpc {

std::string validate(const rapidjson::Value& message, Request& out) {
  out = Request{};
  if (!message.IsObject()) return "a request must be a JSON object";

  auto id = message.FindMember("id");
  if (id != message.MemberEnd()) {
    const auto& v = id->value;
    if (!(v.IsString() || v.IsNumber() || v.IsNull()))
      return "'id' must be a string, a number or null";
    out.id = &v;
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

static void write_id(Writer& w, const rapidjson::Value* id) {
  if (id == nullptr)
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
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
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

std::string error_reply_for(std::string_view request_body, int code, std::string_view message) {
  rapidjson::Document doc;
  doc.Parse(request_body.data(), request_body.size());
  if (doc.HasParseError())
    return error_response(nullptr, error_code::parse_error, "the request body is not valid JSON");

  return respond(doc, [&](const rapidjson::Value& request, Writer& w) {
    const rapidjson::Value* id = nullptr;
    if (request.IsObject()) {
      auto member = request.FindMember("id");
      if (member == request.MemberEnd()) return false;  // a notification gets no reply
      id = &member->value;
    }
    write_error(w, id, code, message);
    return true;
  });
}

}  // namespace roc::detail::jsonrpc
