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
