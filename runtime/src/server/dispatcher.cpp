// JSON-RPC 2.0 dispatch: one place maps every failure to its error code (PROTOCOL §3.1).
#include "server/dispatcher.hpp"

#include "wire/jsonrpc.hpp"
#include "roc/error.hpp"
#include "roc/json_reader.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

#include <cstdlib>
#include <typeinfo>

namespace roc::detail {
namespace {

using jsonrpc::Writer;

/// An error that becomes one JSON-RPC error object.
struct CallError {
  int code;
  std::string message;
  std::string data_json;
};

std::string demangle(const char* mangled) {
  int status = 0;
  char* name = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string result = (status == 0 && name != nullptr) ? name : mangled;
  std::free(name);
  return result;
}

std::string thrown_data(const std::string& type, std::string_view what) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("type");
  w.String(type.c_str(), static_cast<rapidjson::SizeType>(type.size()));
  w.Key("what");
  const auto text = jsonrpc::valid_utf8(what);  // an exception's text is whatever the method made
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

/// A string parameter of a system method, by position or by name.
std::string system_param(const rapidjson::Value* params, std::size_t index, const char* name,
                         std::string_view method) {
  const rapidjson::Value* value = nullptr;
  if (params != nullptr && params->IsArray() && index < params->Size())
    value = &(*params)[static_cast<rapidjson::SizeType>(index)];
  else if (params != nullptr && params->IsObject() && params->HasMember(name))
    value = &(*params)[name];
  if (value == nullptr)
    throw CallError{error_code::invalid_params, fmt::format("{} needs parameter '{}'", method, name), {}};
  if (!value->IsString())
    throw CallError{error_code::invalid_params,
                    fmt::format("parameter '{}' of {} must be a string, got {}", name, method,
                                json::describe_kind(*value)),
                    {}};
  return {value->GetString(), value->GetStringLength()};
}

const rapidjson::Value& system_value(const rapidjson::Value* params, std::string_view method) {
  if (params != nullptr && params->IsArray() && params->Size() >= 2) return (*params)[1];
  if (params != nullptr && params->IsObject() && params->HasMember("value")) return (*params)["value"];
  throw CallError{error_code::invalid_params, fmt::format("{} needs parameter 'value'", method), {}};
}

}  // namespace

/// One request being executed: finds the target, runs it, and maps every failure to a CallError.
class Dispatcher::Call {
 public:
  Call(const Dispatcher& d, const jsonrpc::Request& r, json::Allocator& a) : d_(d), r_(r), a_(a) {}

  /// Runs the request; the result goes to `result`. Throws CallError.
  void run(json::Value& result) {
    if (r_.method.rfind("rpc.", 0) == 0) return run_system(result);
    const MethodEntry* method = d_.table_->find_method(r_.method);
    if (method == nullptr)
      throw CallError{error_code::method_not_found,
                      fmt::format("object '{}' ({}) has no method '{}'", d_.object_id_, d_.table_->name,
                                  r_.method),
                      {}};
    guarded(method->name, [&] { method->invoke(d_.object_, r_.params, result, a_); });
  }

 private:
  void run_system(json::Value& result) {
    const auto& table = *d_.table_;
    if (r_.method == "rpc.ping") {
      result.SetString("pong");
    } else if (r_.method == "rpc.describe") {
      auto text = table.describe();
      json::Document doc(&a_);
      doc.Parse(text.data(), text.size());
      if (doc.HasParseError())
        throw CallError{error_code::internal_error, "the object's interface description is not valid JSON", {}};
      result.CopyFrom(doc, a_);
    } else if (r_.method == "rpc.signature") {
      const auto signature = table.signature.empty() ? table.computed_signature() : table.signature;
      result.SetString(signature.c_str(), static_cast<rapidjson::SizeType>(signature.size()), a_);
    } else if (r_.method == "rpc.get") {
      const PropertyEntry& property = find_property(system_param(r_.params, 0, "name", r_.method));
      guarded(property.name, [&] { property.get(d_.object_, result, a_); });
    } else if (r_.method == "rpc.set") {
      const PropertyEntry& property = find_property(system_param(r_.params, 0, "name", r_.method));
      if (!property.set)
        throw CallError{error_code::read_only,
                        fmt::format("property '{}' of object '{}' is read-only", property.name, d_.object_id_),
                        {}};
      const auto& value = system_value(r_.params, r_.method);
      guarded(property.name, [&] {
        try {
          property.set(d_.object_, value);
        } catch (const json::DecodeError& error) {
          throw InvalidParams(fmt::format("value of property '{}': {}", property.name, error.what()));
        }
      });
      result.SetNull();
    } else {
      throw CallError{error_code::method_not_found,
                      fmt::format("'{}' is not a system method (rpc.ping, rpc.describe, rpc.get, rpc.set, "
                                  "rpc.signature)",
                                  r_.method),
                      {}};
    }
  }

  const PropertyEntry& find_property(const std::string& name) const {
    const PropertyEntry* property = d_.table_->find_property(name);
    if (property == nullptr)
      throw CallError{error_code::invalid_params,
                      fmt::format("object '{}' ({}) has no property '{}'", d_.object_id_, d_.table_->name, name),
                      {}};
    return *property;
  }

  // The dispatch boundary: whatever `body` throws becomes a CallError.
  template <class F>
  void guarded(const std::string& what, F&& body) {
    try {
      body();
    } catch (const CallError&) {
      throw;
    } catch (const InvalidParams& error) {
      throw CallError{error_code::invalid_params, error.what(), {}};
    } catch (const Cancelled& error) {
      // The method stopped because its caller asked (CallContext::throw_if_cancelled): not a failure.
      throw CallError{error_code::cancelled, error.message(), {}};
    } catch (const std::exception& error) {
      auto type = demangle(typeid(error).name());
      throw CallError{error_code::method_threw, fmt::format("'{}' threw {}: {}", what, type, error.what()),
                      thrown_data(type, error.what())};
    } catch (...) {
      auto* thrown = abi::__cxa_current_exception_type();
      auto type = thrown != nullptr ? demangle(thrown->name()) : std::string("an unknown exception");
      throw CallError{error_code::method_threw, fmt::format("'{}' threw {}", what, type), thrown_data(type, "")};
    }
  }

  const Dispatcher& d_;
  const jsonrpc::Request& r_;
  json::Allocator& a_;
};

Dispatcher::Dispatcher(std::string object_id, std::shared_ptr<const InterfaceTable> table, void* object)
    : object_id_(std::move(object_id)), table_(std::move(table)), object_(object) {}

std::string Dispatcher::handle(std::string_view body, AttachmentSource* attachments, AttachmentSink* reply_attachments) {
  // The request and the result built from it: a small call stays on this thread's stack.
  json::InlinePool<4096> pool;
  json::Document doc(&pool.get());
  if (auto error = json::read(doc, body))
    return jsonrpc::error_response(nullptr, error_code::parse_error,
                                   "the request body cannot be read: " + error.message);
  if (attachments != nullptr && attachments->size() > 0) {
    // Frames no reference names are a sender's mistake that would otherwise pass unnoticed.
    if (auto unused = json::detail::first_unreferenced(doc, attachments->size()))
      return jsonrpc::error_reply_for(body, error_code::invalid_request,
                                      fmt::format("invalid JSON-RPC 2.0 request: the message carries {} attachments "
                                                  "but no reference names attachment {}",
                                                  attachments->size(), *unused));
  }
  const SourceScope source(attachments);
  const SinkScope sink(reply_attachments);

  auto& allocator = doc.GetAllocator();
  // Notifications get no response, even when they fail.
  return jsonrpc::respond(doc, [&](const rapidjson::Value& message, Writer& w) {
    using jsonrpc::Responded;
    jsonrpc::Request request;
    if (auto why = jsonrpc::validate(message, request); !why.empty()) {
      jsonrpc::write_error(w, request.id, error_code::invalid_request, "invalid JSON-RPC 2.0 request: " + why);
      return Responded::whole;
    }
    json::Value result;
    // Attachments of a response that is not sent after all must not be sent either.
    const auto attached = reply_attachments != nullptr ? reply_attachments->size() : 0;
    auto drop_attachments = [&] {
      if (reply_attachments != nullptr) reply_attachments->truncate(attached);
    };
    try {
      Call(*this, request, allocator).run(result);
    } catch (const CallError& error) {
      drop_attachments();
      if (request.id == nullptr) return Responded::nothing;
      jsonrpc::write_error(w, request.id, error.code, error.message, error.data_json);
      return Responded::whole;
    } catch (const std::exception& error) {  // a fault in roc itself (e.g. out of memory)
      drop_attachments();
      if (request.id == nullptr) return Responded::nothing;
      jsonrpc::write_error(w, request.id, error_code::internal_error, error.what());
      return Responded::whole;
    }
    if (request.id == nullptr) {
      drop_attachments();
      return Responded::nothing;
    }
    jsonrpc::begin_result(w, request.id);
    // RapidJSON's writer refuses infinity, NaN and text that is not UTF-8 and stops halfway.
    if (!result.Accept(w)) {
      drop_attachments();
      return Responded::broken;
    }
    jsonrpc::end_response(w);
    return Responded::whole;
  });
}

}  // namespace roc::detail
