// The JSON-RPC 2.0 envelope: validating requests and writing responses. Knows nothing of
// sockets or of the objects behind the methods.
#pragma once

#include "roc/error.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace roc::detail::jsonrpc {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// One validated request taken from a body.
struct Request {
  const rapidjson::Value* id = nullptr;      ///< nullptr for a notification
  std::string_view method;
  const rapidjson::Value* params = nullptr;  ///< nullptr when absent; else an array or an object
};

/// Why a request object is not a valid JSON-RPC 2.0 request, or empty when it is.
/// Fills `out` in both cases with what could be read (the id, above all, so the error can name it).
std::string validate(const rapidjson::Value& message, Request& out);

/// Writes `{"jsonrpc":"2.0","id":<id>,"result":` — the caller writes the result value and then
/// calls end_response(). `id` nullptr writes null.
void begin_result(Writer& w, const rapidjson::Value* id);
void end_response(Writer& w);

/// Writes a whole error response. `data_json`, when not empty, must be valid JSON and becomes `data`.
void write_error(Writer& w, const rapidjson::Value* id, int code, std::string_view message,
                 std::string_view data_json = {});

/// A whole error response body for one id, as a string.
std::string error_response(const rapidjson::Value* id, int code, std::string_view message,
                           std::string_view data_json = {});

/// Runs `respond_to(request, writer)` on the body — once, or on each element of a batch — and
/// returns the reply body: one response, an array of responses, or an empty string when nothing
/// was written (only notifications). `respond_to` returns whether it wrote a response. An empty
/// batch gets a single invalid-request error, as the specification says.
template <class RespondTo>
std::string respond(const rapidjson::Value& body, RespondTo&& respond_to) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  if (!body.IsArray()) {
    if (!respond_to(body, w)) return {};
  } else if (body.Empty()) {
    write_error(w, nullptr, error_code::invalid_request, "invalid JSON-RPC 2.0 request: empty batch");
  } else {
    w.StartArray();
    bool any = false;
    for (const auto& request : body.GetArray()) any = respond_to(request, w) || any;
    w.EndArray();
    if (!any) return {};
  }
  return {buffer.GetString(), buffer.GetSize()};
}

/// The reply a broker or worker gives when it cannot run `request_body` at all (the object is
/// unknown, or its worker died): one error for each request in the body that has an id (a batch
/// gives an array), and an empty string when the body holds only notifications. A body that is
/// not JSON gets a single parse-error response with a null id. Parses the body: use it only on
/// error paths, never to route.
std::string error_reply_for(std::string_view request_body, int code, std::string_view message);

}  // namespace roc::detail::jsonrpc
