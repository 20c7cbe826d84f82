// Oversized request bodies: find the request ids with a streaming (SAX) pass, then answer each.
#include "broker/oversize.hpp"

#include "wire/jsonrpc.hpp"
#include "roc/error.hpp"
#include "roc/json_reader.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace roc::detail {
namespace {

// Collects the id of every request in a JSON-RPC body (one object or a batch array) without
// building a DOM. A single request stops the parse as soon as its id is seen; a batch is read
// to the end. Mirrors jsonrpc::error_reply_for: notifications get nothing, non-object batch
// elements and non-object bodies get a null id.
class IdCollector : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, IdCollector> {
 public:
  IdCollector() { ids.SetArray(); }

  rapidjson::Document ids;  ///< the ids to answer, in order (null for unidentifiable requests)
  bool batch = false;
  bool scalar_body = false;  ///< the body is a bare JSON value: not a request at all
  std::size_t elements = 0;  ///< batch elements seen

  bool Null() { return value(rapidjson::Value()); }
  bool Bool(bool b) { return value(rapidjson::Value(b)); }
  bool Int(int i) { return value(rapidjson::Value(i)); }
  bool Uint(unsigned u) { return value(rapidjson::Value(u)); }
  bool Int64(std::int64_t i) { return value(rapidjson::Value(i)); }
  bool Uint64(std::uint64_t u) { return value(rapidjson::Value(u)); }
  bool Double(double d) { return value(rapidjson::Value(d)); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return value(rapidjson::Value(s, n, ids.GetAllocator()));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (in_request_ && depth_ == request_depth_) want_id_ = std::string_view(s, n) == "id";
    return true;
  }
  bool StartObject() {
    container_as_id();
    if (depth_ == 0) {
      begin_request(1);
    } else if (batch && depth_ == 1) {
      ++elements;
      begin_request(2);
    }
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (in_request_ && depth_ == request_depth_ - 1) end_request();
    return true;
  }
  bool StartArray() {
    container_as_id();
    if (depth_ == 0) {
      batch = true;
    } else if (batch && depth_ == 1) {
      ++elements;
      ids.PushBack(rapidjson::Value(), ids.GetAllocator());
    }
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

 private:
  void begin_request(int depth) {
    in_request_ = true;
    request_depth_ = depth;
    has_id_ = false;
    want_id_ = false;
  }
  void end_request() {
    if (has_id_) ids.PushBack(id_, ids.GetAllocator());
    in_request_ = false;
  }
  // An object or array where the id belongs: not a valid id, answered with null.
  void container_as_id() {
    if (!want_id_ || depth_ != request_depth_) return;
    want_id_ = false;
    has_id_ = true;
    id_.SetNull();
  }
  // Returns false to stop the parse once a single request's id is known.
  bool value(rapidjson::Value v) {
    if (want_id_ && in_request_ && depth_ == request_depth_) {
      want_id_ = false;
      has_id_ = true;
      id_ = v;  // rapidjson's assignment moves
      if (!batch) {
        end_request();
        return false;
      }
      return true;
    }
    if (depth_ == 0) {
      scalar_body = true;
    } else if (batch && depth_ == 1) {
      ++elements;
      ids.PushBack(rapidjson::Value(), ids.GetAllocator());
    }
    return true;
  }

  int depth_ = 0;
  int request_depth_ = 0;
  bool in_request_ = false;
  bool want_id_ = false;
  bool has_id_ = false;
  rapidjson::Value id_;
};

}  // namespace

std::string oversize_reply(std::string_view body, std::size_t size, std::size_t limit) {
  const auto message = fmt::format(
      "the request body is {} bytes, over the broker's limit of {} bytes (max_request_bytes); "
      "send less per call",
      size, limit);

  IdCollector ids;
  json::DepthLimit<IdCollector> guard(ids, json::max_depth);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(body.data(), body.size());
  auto result = reader.Parse<json::reader_flags>(stream, guard);
  const bool stopped_by_us = result.Code() == rapidjson::kParseErrorTermination && !guard.exceeded();
  if (result.IsError() && !stopped_by_us)
    return jsonrpc::error_response(
        nullptr, error_code::invalid_request,
        fmt::format("{} (and the request body cannot be read: {})", message,
                    json::read_error(result, guard, json::max_depth).message));
  if (ids.scalar_body || (ids.batch && ids.elements == 0))
    return jsonrpc::error_response(nullptr, error_code::invalid_request, message);

  const auto& list = ids.ids;
  if (list.Empty()) return {};  // notifications only: nobody waits for an answer
  if (!ids.batch) return jsonrpc::error_response(&list[0], error_code::invalid_request, message);

  rapidjson::StringBuffer buffer;
  jsonrpc::Writer w(buffer);
  w.StartArray();
  // write_error answers an id jsonrpc::valid_id() refuses with null, as the worker would.
  for (const auto& id : list.GetArray()) jsonrpc::write_error(w, &id, error_code::invalid_request, message);
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace roc::detail
