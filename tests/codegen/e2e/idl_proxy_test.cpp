// A proxy generated from IDL JSON alone — the device.idl.json roc_generate() wrote for the e2e
// test — called against an object that implements the same interface through a hand-written
// binding. This translation unit never sees device.hpp: the structs and enums it uses are the
// ones the IDL-generated header declares.
#include "device_from_idl.roc.hpp"
#include "support/test_support.hpp"

#include <roc/binding.hpp>
#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/server.hpp>

#include <doctest/doctest.h>

namespace {

class FakeDevice {
 public:
  std::string greet(const std::string& who) { return "hi " + who; }
  e2e::Color next(e2e::Color c) { return c == e2e::Color::red ? e2e::Color::green : e2e::Color::red; }
  e2e::Outer grow(const e2e::Outer& outer) {
    e2e::Outer copy = outer;
    copy.items.push_back(e2e::Inner{99, std::string("new")});
    return copy;
  }
  roc::Json warmer(const roc::Json& celsius) { return roc::Json::parse(std::to_string(celsius.as<double>() + 1)); }
  double fps = 12.5;
};

}  // namespace

TEST_CASE("a proxy generated from IDL alone calls an object serving that interface") {
  roc::Broker broker{roc::BrokerOptions{"127.0.0.1:0"}};
  broker.start();
  FakeDevice impl;
  const auto binding = roc::Binding<FakeDevice>("e2e::Device")
                           .method("greet", &FakeDevice::greet, {"who"})
                           .method("next", &FakeDevice::next, {"c"})
                           .method("grow", &FakeDevice::grow, {"outer"})
                           .method("warmer", &FakeDevice::warmer, {"c"})
                           .property("fps", &FakeDevice::fps)
                           .signature(e2e::DeviceProxy::signature);
  roc::Server server{broker.endpoints()};
  server.publish("dev", impl, binding);
  server.start();
  roc::Client client{broker.endpoints()};
  REQUIRE(roc::test::wait_until([&] { return client.exists("dev"); }));

  e2e::DeviceProxy dev{client.object("dev")};
  CHECK(dev.greet("idl") == "hi idl");
  CHECK(dev.next(e2e::Color::red) == e2e::Color::green);
  e2e::Outer outer;
  outer.colors["x"] = e2e::Color::blue;
  outer.timeout = std::chrono::milliseconds(5);
  e2e::Outer back = dev.grow(outer);
  REQUIRE(back.items.size() == 1);
  CHECK(back.items[0].label == "new");
  CHECK(back.colors.at("x") == e2e::Color::blue);
  CHECK(back.timeout.count() == 5);
  CHECK(dev.warmer(roc::Json::parse("20")).as<double>() == doctest::Approx(21));  // external type: raw JSON
  CHECK(dev.fps() == 12.5);
  dev.set_fps(3);
  CHECK(impl.fps == 3);
  server.stop();
  broker.stop();
}
