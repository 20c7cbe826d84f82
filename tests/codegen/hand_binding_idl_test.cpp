// A hand-written binding describes itself in IDL v1 too: its rpc.describe document passes
// roc-gen's reader (schema, type resolution, signature check), so `roc describe` output of any
// roc object can be turned into a typed proxy.
#include "model/idl_json.hpp"
#include "support/test_device.hpp"

#include <doctest/doctest.h>

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
