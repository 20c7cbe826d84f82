// vnir-client: calls the camera through the dynamic API — no generated code, names as strings.
#include "sample_support.hpp"

#include <roc/client.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"Calls a VNIR camera published by vnir-server, through the dynamic API."};
  roc::cli::set_program(app, "vnir-client");
  sample::ClientArgs args;
  args.add_to(app);
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;

  roc::Endpoints endpoints;
  try {
    endpoints = args.endpoints();
  } catch (const std::exception& error) {  // an address or a certificate that cannot be used
    fmt::print(stderr, "vnir-client: {}\n", error.what());
    return 1;
  }
  const auto& id = args.id;
  roc::Client client{endpoints, args.client_options()};
  auto camera = client[id];
  fmt::print("calling '{}' at {}\n", id, endpoints.address());

  bool ok = sample::show("ping", [&] { camera.ping(); return std::string("pong"); });
  if (!ok) return 2;
  sample::show("get model", [&] { return camera.get<std::string>("model"); });
  sample::show("open_shutter()", [&] { camera.call<void>("open_shutter"); return std::string("done"); });
  sample::show("set fps = 50", [&] { camera.set("fps", 50.0); return std::string("done"); });
  sample::show("get fps", [&] { return fmt::format("{}", camera.get<double>("fps")); });
  sample::show("set_roi({x:0,y:0,width:8,height:4})", [&] {
    camera.call_json("set_roi", roc::Json::parse(R"({"roi":{"x":0,"y":0,"width":8,"height":4}})"));
    return std::string("done");
  });
  sample::show("grab(2)", [&] {
    auto pixels = camera.call<std::vector<std::uint16_t>>("grab", 2);
    return fmt::format("{} pixels, first {}", pixels.size(), pixels.empty() ? 0 : pixels.front());
  });
  sample::show("set fps = -1 (the camera refuses)", [&] { camera.set("fps", -1.0); return std::string("done"); });
  sample::show("grab(0) (the camera refuses)", [&] { return camera.call("grab", 0).dump(); });
  sample::show("frames_grabbed()", [&] { return camera.call("frames_grabbed").dump(); });
  return 0;
}
