// A hand-written binding describes itself in IDL v1 too: its rpc.describe document passes
// roc-gen's reader (schema, type resolution, signature check), so `roc describe` output of any
// roc object can be turned into a typed proxy.
#include "model/idl_json.hpp"
#include "support/test_device.hpp"

#include <roc/attachment.hpp>
#include <roc/binding.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

TEST_CASE("a hand-bound object's rpc.describe is a valid IDL v1 document with a matching signature") {
  const auto table = testing_lab::device_binding().table();
  const auto document = table->describe();
  roc::idl::Document idl;
  REQUIRE_NOTHROW(idl = roc::idl::read_idl(document, "device"));
  REQUIRE(idl.objects.size() == 1);
  CHECK(idl.objects[0].name == "testing_lab::Device");
  CHECK(idl.objects[0].signature == table->computed_signature());
  CHECK(idl.objects[0].methods.size() == table->methods.size());
  CHECK(idl.objects[0].properties.size() == table->properties.size());
}

namespace {

struct Imager {
  roc::NdArray<std::uint16_t> frame(const roc::Bytes&) { return {}; }
  std::vector<std::uint16_t> line(std::uint32_t) { return {}; }
  std::map<std::string, roc::NdArray<double>> maps() { return {}; }
  roc::Bytes firmware;
};

}  // namespace

TEST_CASE("a hand-bound object's bytes and ndarrays are the IDL's bytes and ndarray<T>") {
  CHECK(roc::json::type_name<roc::Bytes>() == "bytes");
  CHECK(roc::json::type_name<roc::NdArray<std::uint16_t>>() == "ndarray<uint16>");
  CHECK(roc::json::type_name<roc::NdArray<double>>() == "ndarray<double>");
  CHECK(roc::json::type_name<std::vector<std::uint16_t>>() == "array<uint16>");
  const auto table = roc::Binding<Imager>("lab::Imager")
                         .method("frame", &Imager::frame, {"request"})
                         .method("line", &Imager::line, {"index"})
                         .method("maps", &Imager::maps)
                         .property("firmware", &Imager::firmware)
                         .table();
  roc::idl::Document idl;
  REQUIRE_NOTHROW(idl = roc::idl::read_idl(table->describe(), "imager"));
  REQUIRE(idl.objects.size() == 1);
  CHECK(idl.types.empty());
  const auto& methods = idl.objects[0].methods;
  auto returns = [&](const std::string& name) {
    for (const auto& m : methods) {
      if (m.name == name) return m.returns;
    }
    return std::string("(missing)");
  };
  CHECK(returns("frame") == "ndarray<uint16>");
  CHECK(returns("line") == "array<uint16>");
  CHECK(returns("maps") == "map<ndarray<double>>");
  CHECK(idl.objects[0].properties.at(0).type == "bytes");
  CHECK(idl.objects[0].signature == table->computed_signature());
}

namespace {

struct Stage {
  double home(double speed, roc::CallContext&) { return speed; }
  double home_plain(double speed) { return speed; }
  int steps(const roc::CallContext&, int count) const { return count; }
};

}  // namespace

TEST_CASE("a hand-bound method taking a CallContext is described progress and cancellable, without the context") {
  const auto table = roc::Binding<Stage>("lab::Stage")
                         .method("home", &Stage::home, {"speed"})
                         .method("steps", &Stage::steps, {"count"})
                         .table();
  roc::idl::Document idl;
  REQUIRE_NOTHROW(idl = roc::idl::read_idl(table->describe(), "stage"));
  const auto& methods = idl.objects[0].methods;
  REQUIRE(methods.size() == 2);
  for (const auto& m : methods) {
    CHECK(m.progress);
    CHECK(m.cancellable);
    REQUIRE(m.params.size() == 1);
    CHECK_FALSE(m.params[0].inout);
  }
  CHECK(methods[0].params[0].type == "double");
  CHECK(methods[1].params[0].name == "count");
  // Same signature as the methods without their contexts: the context changes nothing on the wire.
  const auto plain = roc::Binding<Stage>("lab::Stage")
                         .method("home", &Stage::home_plain, {"speed"})
                         .method("steps", &Stage::steps, {"count"})
                         .table();
  CHECK(plain->computed_signature() == table->computed_signature());
}
