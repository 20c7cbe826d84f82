// Fuzzes a server's JSON-RPC side: the envelope (requests, batches, notifications, ids), the
// system methods and parameter binding, as Dispatcher::handle() sees a body from the network,
// on the test device bound by hand. Whatever the body, handle() must not throw and every reply
// must be JSON.
#include "dispatcher.hpp"
#include "support/test_device.hpp"

#include <roc/json_reader.hpp>

#include <cstdlib>

namespace {

using testing_lab::Device;

// The test device without the methods whose cost a caller chooses by design (sleep_ms sleeps,
// big allocates as many bytes as asked): a fuzzer would only find those slow. Every type the
// device's binding converts is still here.
const roc::Binding<Device>& fuzz_binding() {
  using namespace std::chrono;
  using namespace testing_lab;
  static const auto binding = roc::Binding<Device>("testing_lab::Device", "The test device, fuzzed.")
      .method("echo_bool", &Device::echo<bool>, {"value"})
      .method("echo_int8", &Device::echo<std::int8_t>, {"value"})
      .method("echo_uint8", &Device::echo<std::uint8_t>, {"value"})
      .method("echo_int16", &Device::echo<std::int16_t>, {"value"})
      .method("echo_uint16", &Device::echo<std::uint16_t>, {"value"})
      .method("echo_int32", &Device::echo<std::int32_t>, {"value"})
      .method("echo_uint32", &Device::echo<std::uint32_t>, {"value"})
      .method("echo_int64", &Device::echo<std::int64_t>, {"value"})
      .method("echo_uint64", &Device::echo<std::uint64_t>, {"value"})
      .method("echo_float", &Device::echo<float>, {"value"})
      .method("echo_double", &Device::echo<double>, {"value"})
      .method("echo_string", &Device::echo<std::string>, {"value"})
      .method("echo_vector", &Device::echo<std::vector<double>>, {"value"})
      .method("echo_array", &Device::echo<std::array<int, 3>>, {"value"})
      .method("echo_map", &Device::echo<std::map<std::string, int>>, {"value"})
      .method("echo_unordered_map", &Device::echo<std::unordered_map<std::string, std::string>>, {"value"})
      .method("echo_optional", &Device::echo<std::optional<std::string>>, {"value"})
      .method("echo_pair", &Device::echo<std::pair<int, std::string>>, {"value"})
      .method("echo_tuple", &Device::echo<std::tuple<int, double, std::string>>, {"value"})
      .method("echo_duration", &Device::echo<milliseconds>, {"value"})
      .method("echo_colour", &Device::echo<Colour>, {"value"})
      .method("echo_shape", &Device::echo<Shape>, {"value"})
      .method("echo_shapes", &Device::echo<std::vector<Shape>>, {"value"})
      .method("add", &Device::add, {"a", "b"}, "Adds two integers.")
      .method("greet", &Device::greet, {"name", "greeting"})
      .method("reset", &Device::reset)
      .method("bump", &Device::bump)
      .method("tag", &Device::tag)
      .method("fail", &Device::fail, {"how"})
      .method("read_line", &Device::read_line, {"line"})
      .method("get_distance", &Device::get_distance, {"data"})
      .method("scale", &Device::scale, {"value", {"factor", "2"}})
      .method("swap_ends", &Device::swap_ends, {"first", "second"})
      .method("length", &Device::length, {"text"})
      .method("lamp_name", &Device::lamp_name, {"on"})
      .method("configure", &Device::configure, {"channel", {"calibrated", "true"}, {"colour", R"("green")"}})
      .method("with_gain", &Device::set_gain, {"value"})
      .method("dim", &Device::dim, {"by"})
      .property("counter", &Device::counter)
      .property("firmware", &Device::firmware)
      .property("level", &Device::level, &Device::set_level)
      .property("serial", &Device::serial)
      .property("gain", &Device::gain)
      .property("brightness", &Device::brightness);
  return binding;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Device device;
  static roc::detail::Dispatcher dispatcher("dev", fuzz_binding().table(), &device);
  const std::string reply = dispatcher.handle({reinterpret_cast<const char*>(data), size});
  if (!reply.empty()) {
    rapidjson::Document doc;
    // A reply that is not JSON (an id echoed as `"id":,`) is a bug a client would choke on.
    if (roc::json::read(doc, reply)) std::abort();
  }
  return 0;
}
