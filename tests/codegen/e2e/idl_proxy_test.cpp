// Proxies generated from IDL JSON alone — the device.idl.json and frames.idl.json roc_generate()
// wrote for the e2e test — called against objects that implement the same interfaces through
// hand-written bindings. This translation unit never sees device.hpp or frames.hpp: the structs and
// enums it uses are the ones the IDL-generated headers declare.
#include "device_from_idl.roc.hpp"
#include "frames_from_idl.roc.hpp"
#include "support/test_support.hpp"

#include <roc/binding.hpp>
#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/server.hpp>

#include <doctest/doctest.h>

#include <type_traits>

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

namespace {

class FakeCamera {
 public:
  frames::Frame inverted(const frames::Frame& frame) {
    frames::Frame out = frame;
    for (auto& p : out.pixels) p = static_cast<std::uint16_t>(65535 - p);
    return out;
  }
  roc::NdArray<std::uint16_t> transposed(const roc::NdArray<std::uint16_t>& image) {
    roc::NdArray<std::uint16_t> out({image.shape()[1], image.shape()[0]});
    for (std::size_t r = 0; r < image.shape()[0]; ++r) {
      for (std::size_t c = 0; c < image.shape()[1]; ++c) out(c, r) = image(r, c);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("a proxy generated from IDL alone declares bytes and ndarray members and passes them through") {
  static_assert(std::is_same_v<decltype(frames::Frame::header), roc::Bytes>);
  static_assert(std::is_same_v<decltype(frames::Frame::gains), roc::NdArray<float>>);
  static_assert(std::is_same_v<decltype(frames::Frame::pixels), std::vector<std::uint16_t>>);
  roc::Broker broker{roc::BrokerOptions{"127.0.0.1:0"}};
  broker.start();
  FakeCamera impl;
  const auto binding = roc::Binding<FakeCamera>("frames::Camera")
                           .method("inverted", &FakeCamera::inverted, {"frame"})
                           .method("transposed", &FakeCamera::transposed, {"image"})
                           .signature(frames::CameraProxy::signature);
  roc::Server server{broker.endpoints()};
  server.publish("cam", impl, binding);
  server.start();
  roc::Client client{broker.endpoints()};
  REQUIRE(roc::test::wait_until([&] { return client.exists("cam"); }));

  frames::CameraProxy cam{client.object("cam")};
  frames::Frame frame;
  frame.width = 64;
  frame.height = 64;
  frame.pixels.assign(4096, 7);
  frame.header = roc::Bytes(std::string_view("hdr"));
  frame.gains = roc::NdArray<float>({1, 3}, {1.0f, 2.0f, 3.0f});
  frames::Frame back = cam.inverted(frame);
  CHECK(back.pixels == std::vector<std::uint16_t>(4096, 65528));
  CHECK(back.header.view() == "hdr");
  CHECK(back.gains == frame.gains);
  roc::NdArray<std::uint16_t> image({2, 600});
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint16_t>(i);
  roc::NdArray<std::uint16_t> t = cam.transposed(image);
  REQUIRE(t.shape() == roc::NdArray<std::uint16_t>::Shape{600, 2});
  CHECK(t(599, 1) == image(1, 599));
  server.stop();
  broker.stop();
}
