// The JSON-RPC 2.0 envelope: validating requests and writing responses. Knows nothing of
// sockets or of the objects behind the methods.
#pragma once

#include "roc/error.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

namespace roc::detail::jsonrpc {

/// Writes replies. Refuses (returns false from) text that is not UTF-8, as it refuses
/// infinity and NaN: a reply must be valid JSON, and JSON is UTF-8.
using Writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                 rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

/// `text`, with every byte sequence that is not UTF-8 replaced by U+FFFD; error messages quote
/// what peers sent (object ids, method names, exception texts) and must stay writable.
std::string valid_utf8(std::string_view text);

/// One validated request taken from a body.
struct Request {
  const rapidjson::Value* id = nullptr;      ///< nullptr for a notification, or when the id is refused
  bool id_refused = false;                   ///< it has an id no reply could echo (answered with null)
  std::string_view method;
  const rapidjson::Value* params = nullptr;  ///< nullptr when absent; else an array or an object
};

/// Whether `id` can identify a request: a string, an integer that reads back exactly (int64 or
/// uint64), or null. Fractions, numbers beyond 64 bits (1e400 reads as infinity, which has no
/// JSON spelling), objects, arrays and booleans cannot be echoed faithfully, so they are refused.
bool valid_id(const rapidjson::Value& id) noexcept;

/// Why a request object is not a valid JSON-RPC 2.0 request, or empty when it is.
/// Fills `out` in both cases with what could be read (the id, above all, so the error can name
/// it); a refused id is checked first, leaves `out.id` null and sets `out.id_refused`.
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

/// What a responder did with one request.
enum class Responded {
  nothing,   ///< a notification: no response
  whole,     ///< a complete response was written
  broken,    ///< the writer refused part of it (e.g. infinity, NaN or invalid UTF-8 in a result)
};

/// Runs `respond_to(request, writer)` on the body — once, or on each element of a batch — and
/// returns the reply body: one response, an array of responses, or an empty string when nothing
/// was written (only notifications). Each request gets a writer of its own on the shared
/// buffer, so a response that came out `broken` is cut off and replaced by -32603 for that
/// request alone: the reply is valid JSON whatever a method returned. An empty batch gets a
/// single invalid-request error, as the specification says.
template <class RespondTo>
std::string respond(const rapidjson::Value& body, RespondTo&& respond_to) {
  rapidjson::StringBuffer buffer;
  bool any = false;
  auto respond_one = [&](const rapidjson::Value& request) {
    const auto mark = buffer.GetSize();
    if (any) buffer.Put(',');
    Writer w(buffer);
    const auto what = respond_to(request, w);
    if (what == Responded::nothing) {
      buffer.Pop(buffer.GetSize() - mark);
      return;
    }
    if (what == Responded::broken) {
      buffer.Pop(buffer.GetSize() - mark);
      if (any) buffer.Put(',');
      Request r;
      validate(request, r);
      Writer fresh(buffer);
      write_error(fresh, r.id, error_code::internal_error,
                  "the response could not be written as JSON (a number that is infinite or NaN, or "
                  "text that is not UTF-8)");
    }
    any = true;
  };
  if (!body.IsArray()) {
    respond_one(body);
  } else if (body.Empty()) {
    Writer w(buffer);
    write_error(w, nullptr, error_code::invalid_request, "invalid JSON-RPC 2.0 request: empty batch");
    return {buffer.GetString(), buffer.GetSize()};
  } else {
    buffer.Put('[');
    for (const auto& request : body.GetArray()) respond_one(request);
    buffer.Put(']');
  }
  if (!any) return {};
  return {buffer.GetString(), buffer.GetSize()};
}

/// The reply a broker or worker gives when it cannot run `request_body` at all (the object is
/// unknown, or its worker died): one error with `code` for each request in the body that has an
/// id (a batch gives an array), and an empty string when the body holds only notifications. A
/// request whose id valid_id() refuses gets -32600 with a null id. A body that cannot be read
/// (not JSON, or nested deeper than json::max_depth) gets a single `code` error with a null id,
/// its message naming both reasons: the routing reason is what the caller must act on. Parses
/// the body: use it only on error paths, never to route.
std::string error_reply_for(std::string_view request_body, int code, std::string_view message);

/// The first method named in `request_body` (a request or a batch) that `allowed` refuses, or
/// nullopt when it allows every one. A body that cannot be read, or a request without a string
/// method, is refused too and described in the returned text. Parses the body: for the broker's
/// rights check of keys that may only read, never on the path of ordinary calls.
std::optional<std::string> first_method_refused(std::string_view request_body, bool (*allowed)(std::string_view));

}  // namespace roc::detail::jsonrpc
