// vnir-typed-client: calls the camera through the proxy roc-gen generated from vnir_camera.hpp —
// typed arguments and results, misuse is a compile error. Compare vnir-client (dynamic API).
#include "sample_support.hpp"
#include "vnir_camera.roc.hpp"

#include <roc/client.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"Calls a VNIR camera published by vnir-server, through its generated typed proxy."};
  roc::cli::set_program(app, "vnir-typed-client");
  sample::ClientArgs args;
  args.add_to(app);
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;

  roc::Endpoints endpoints;
  try {
    endpoints = args.endpoints();
  } catch (const std::exception& error) {  // an address or a certificate that cannot be used
    fmt::print(stderr, "vnir-typed-client: {}\n", error.what());
    return 1;
  }
  const auto& id = args.id;
  roc::Client client{endpoints, args.client_options()};
  lab::VnirCameraProxy camera = client.proxy<lab::VnirCamera>(id);
  fmt::print("calling '{}' at {} (interface signature {})\n", id, endpoints.address(), lab::VnirCameraProxy::signature);

  bool ok = sample::show("model()", [&] { return camera.model(); });
  if (!ok) return 2;
  sample::show("open_shutter()", [&] { camera.open_shutter(); return std::string("done"); });
  sample::show("set_fps(50); fps()", [&] { camera.set_fps(50); return fmt::format("{}", camera.fps()); });
  sample::show("set_exposure(2500us); exposure()", [&] {
    camera.set_exposure(std::chrono::microseconds(2500));
    return fmt::format("{} us", camera.exposure().count());
  });
  sample::show("set_roi(Roi{0, 0, 8, 4}); roi()", [&] {
    camera.set_roi(lab::Roi{0, 0, 8, 4});
    lab::Roi r = camera.roi();
    return fmt::format("{}x{} at ({}, {})", r.width, r.height, r.x, r.y);
  });
  sample::show("set_trigger(external); trigger()", [&] {
    camera.set_trigger(lab::TriggerMode::external);
    return std::string(camera.trigger() == lab::TriggerMode::external ? "external" : "internal");
  });
  sample::show("grab(2)", [&] {
    std::vector<std::uint16_t> pixels = camera.grab(2);
    return fmt::format("{} pixels, first {}", pixels.size(), pixels.empty() ? 0 : pixels.front());
  });
  sample::show("async().grab(2) x3", [&] {
    std::vector<std::future<std::vector<std::uint16_t>>> futures;
    for (int i = 0; i < 3; ++i) futures.push_back(camera.async().grab(2));
    std::size_t total = 0;
    for (auto& f : futures) total += f.get().size();
    return fmt::format("{} pixels in all", total);
  });
  sample::show("set_fps(-1) (the camera refuses)", [&] { camera.set_fps(-1); return std::string("done"); });
  sample::show("frames_grabbed()", [&] { return fmt::format("{}", camera.frames_grabbed()); });
  return 0;
}
