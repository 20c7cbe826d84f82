// Fuzzes a server's JSON-RPC side: the envelope (requests, batches, notifications, ids), the
// system methods and parameter binding, as Dispatcher::handle() sees a body from the network,
// on the test device bound by hand. Whatever the body, handle() must not throw and every reply
// must be JSON.
#include "server/dispatcher.hpp"
#include "support/test_device.hpp"

#include <roc/json_reader.hpp>

#include <cstdlib>

namespace {

using testing_lab::Device;

// Methods whose cost the caller chooses by design (sleep_ms sleeps, big allocates as many bytes
// as asked): a fuzzer would only find those slow. Bodies naming them are skipped, read the way
// the dispatcher reads them (escapes decoded), so every other method and type is still fuzzed.
bool names_a_costly_method(const rapidjson::Value& body) {
  if (body.IsArray()) {
    for (const auto& request : body.GetArray())
      if (names_a_costly_method(request)) return true;
    return false;
  }
  if (!body.IsObject()) return false;
  auto method = body.FindMember("method");
  return method != body.MemberEnd() && (method->value == "sleep_ms" || method->value == "big");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Device device;
  static roc::detail::Dispatcher dispatcher("dev", testing_lab::device_binding().table(), &device);
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  rapidjson::Document parsed;
  if (!roc::json::read(parsed, body) && names_a_costly_method(parsed)) return 0;
  const std::string reply = dispatcher.handle(body);
  if (!reply.empty()) {
    rapidjson::Document doc;
    // A reply that is not JSON (an id echoed as `"id":,`) is a bug a client would choke on.
    if (roc::json::read(doc, reply)) std::abort();
  }
  return 0;
}
