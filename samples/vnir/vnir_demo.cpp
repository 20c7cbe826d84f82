// vnir-demo: the whole of roc in one process — an embedded broker, the camera published by a
// server, and a client calling it over real TCP sockets on the loopback; with --secure, over CURVE.
#include "sample_support.hpp"
#include "vnir_skeleton.hpp"

#include <roc/roc.hpp>
#include <roc/version.hpp>

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/// Calls `grab_frame` (which returns one full frame: a vector or an NdArray) for about `duration`;
/// returns frames/s and MiB/s.
template <class F>
std::string frame_rate(F&& grab_frame, Clock::duration duration) {
  const std::size_t frame_pixels = std::size_t{lab::VnirCamera::sensor_width} * lab::VnirCamera::sensor_height;
  const auto start = Clock::now();
  std::size_t frames = 0;
  do {
    const auto frame = grab_frame();
    if (frame.size() != frame_pixels)
      throw std::runtime_error(fmt::format("a frame of {} pixels instead of {}", frame.size(), frame_pixels));
    ++frames;
  } while (Clock::now() - start < duration);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double mib = static_cast<double>(frames * frame_pixels * sizeof(std::uint16_t)) / (1024.0 * 1024.0);
  return fmt::format("{:.0f} frames/s, {:.0f} MiB/s", frames / seconds, mib / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Starts an embedded roc broker, publishes a simulated VNIR camera, and calls it."};
  roc::cli::set_program(app, "vnir-demo");
  std::string bind = "127.0.0.1:0";
  bool secure = false;
  app.add_option("--bind", bind, "Broker address to bind (port 0 picks free ports)")->capture_default_str();
  app.add_flag("--secure", secure, "CURVE on: fresh keys for the broker and for the server and client, made in memory");
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;

  try {
    roc::BrokerOptions options{bind};
    // The demo talks to its own broker only: ROC_CERT and ROC_BROKER_CERT, meant for another, do not apply.
    roc::Credentials credentials;
    if (secure) {
      auto broker_key = roc::Certificate::generate();
      broker_key.set_meta("name", "vnir-demo-broker");
      auto own_key = roc::Certificate::generate();
      own_key.set_meta("name", "vnir-demo");
      options.certificate = broker_key;
      credentials.broker = broker_key.public_only();
      credentials.own = own_key;
    }
    roc::Broker broker{options};
    broker.start();
    auto endpoints = broker.endpoints();
    endpoints.set_credentials(credentials);
    fmt::print("broker    listening at {} (calls), {} (publish), {} (subscribe)\n", endpoints.calls(),
               endpoints.publish(), endpoints.subscribe());
    fmt::print("security  {}\n", credentials.describe());

    lab::VnirCamera camera;
    roc::Server server{endpoints};
    server.publish("vnir", camera);
    server.start();
    fmt::print("server    published lab::VnirCamera as 'vnir'\n");

    roc::Client client{endpoints};
    // The server registers in the background; wait until the broker knows it (bounded).
    for (int i = 0; i < 100 && !client.exists("vnir"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    fmt::print("client    broker lists {}\n\n", client.objects().dump());

    auto vnir = client["vnir"];
    int failures = 0;
    auto expect_ok = [&](std::string_view what, auto&& call) { failures += !sample::show(what, call); };
    auto expect_error = [&](std::string_view what, auto&& call) { failures += sample::show(what, call); };

    fmt::print("dynamic calls (client[\"vnir\"]):\n");
    expect_ok("ping", [&] { vnir.ping(); return std::string("pong"); });
    expect_ok("get model", [&] { return vnir.get<std::string>("model"); });
    expect_ok("open_shutter()", [&] { vnir.call<void>("open_shutter"); return std::string("ok"); });
    expect_ok("get shutter_open", [&] { return fmt::format("{}", vnir.get<bool>("shutter_open")); });
    expect_ok("set fps = 50", [&] { vnir.set("fps", 50.0); return std::string("ok"); });
    expect_ok("get fps", [&] { return fmt::format("{}", vnir.get<double>("fps")); });
    expect_ok("set exposure = 2500 us", [&] { vnir.set("exposure", std::chrono::microseconds(2500)); return std::string("ok"); });
    expect_ok("set_roi {x:100, y:0, width:16, height:8}", [&] {
      vnir.call_json("set_roi", roc::Json::parse(R"([{"x":100,"y":0,"width":16,"height":8}])"));
      return std::string("ok");
    });
    expect_ok("roi()", [&] { return vnir.call("roi").dump(); });
    expect_ok("grab(4)", [&] {
      auto pixels = vnir.call<std::vector<std::uint16_t>>("grab", 4);
      return fmt::format("{} pixels: {} {} {} ...", pixels.size(), pixels.at(0), pixels.at(1), pixels.at(2));
    });
    expect_ok("grab(3) async, 3 in flight", [&] {
      std::vector<std::future<std::vector<std::uint16_t>>> futures;
      for (int i = 0; i < 3; ++i) futures.push_back(vnir.call_async<std::vector<std::uint16_t>>("grab", 3));
      std::size_t total = 0;
      for (auto& f : futures) total += f.get().size();
      return fmt::format("{} pixels in all", total);
    });
    expect_ok("temperature()", [&] { return fmt::format("{:.2f} C", vnir.call<double>("temperature")); });
    expect_ok("frames_grabbed()", [&] { return fmt::format("{}", vnir.call<std::uint64_t>("frames_grabbed")); });

#if defined(VNIR_GENERATED)
    fmt::print("\ntyped calls (client.proxy<lab::VnirCamera>(\"vnir\"), generated by roc-gen):\n");
    auto cam = client.proxy<lab::VnirCamera>("vnir");
    expect_ok("model()", [&] { return cam.model(); });
    expect_ok("set_fps(40); fps()", [&] { cam.set_fps(40); return fmt::format("{}", cam.fps()); });
    expect_ok("set_roi(Roi{0, 0, 32, 4}); roi()", [&] {
      cam.set_roi(lab::Roi{0, 0, 32, 4});
      lab::Roi r = cam.roi();
      return fmt::format("{}x{} at ({}, {})", r.width, r.height, r.x, r.y);
    });
    expect_ok("set_trigger(TriggerMode::external)", [&] {
      cam.set_trigger(lab::TriggerMode::external);
      return std::string(cam.trigger() == lab::TriggerMode::external ? "external" : "internal");
    });
    expect_ok("grab(2)", [&] { return fmt::format("{} pixels", cam.grab(2).size()); });
    expect_ok("frame()", [&] {
      roc::NdArray<std::uint16_t> image = cam.frame();
      return fmt::format("an image of {} x {} pixels", image.shape().at(1), image.shape().at(0));
    });
    expect_ok("async().expose(5ms)", [&] {
      std::future<double> level = cam.async().expose(std::chrono::milliseconds(5));
      return fmt::format("mean level {:.1f}", level.get());
    });
    expect_ok("start_exposure_series(3, 20ms).get()", [&] {
      roc::PendingCall<std::vector<double>> series = cam.start_exposure_series(3, std::chrono::milliseconds(20));
      return fmt::format("{} levels", series.get().size());
    });
    expect_error("set_fps(1000) (out of range)", [&] { cam.set_fps(1000); return std::string("accepted?!"); });
#endif

    fmt::print("\nlong operations: progress while they run, and cancel:\n");
    expect_ok("exposure_series(5, 100 ms) with progress", [&] {
      std::mutex mutex;
      std::vector<std::string> seen;
      roc::CallOptions options;
      options.on_progress = [&](const roc::Progress& p) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(fmt::format("{:.0f}%", p.fraction.value_or(0) * 100));
      };
      auto levels = vnir.start<std::vector<double>>("exposure_series", options, 5, std::chrono::milliseconds(100)).get();
      std::lock_guard<std::mutex> lock(mutex);
      return fmt::format("{} levels; progress {}", levels.size(), fmt::join(seen, " "));
    });
    expect_error("exposure_series(100, 100 ms), cancel at 0.3s", [&] {
      auto call = vnir.start<std::vector<double>>("exposure_series", roc::CallOptions{}, 100,
                                                  std::chrono::milliseconds(100));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      call.cancel();
      return fmt::format("{} levels?!", call.get().size());
    });

    fmt::print("\nfull frames (1024 x 768 pixels of 16 bits, 1.5 MiB), frame() for about 2 s:\n");
    expect_ok("the simulated camera alone, in this process", [&] {
      lab::VnirCamera local;
      local.open_shutter();
      return frame_rate([&] { return local.frame(); }, std::chrono::milliseconds(300));
    });
    expect_ok("through roc: broker, server, client", [&] {
      vnir.call<void>("set_roi", lab::Roi{0, 0, lab::VnirCamera::sensor_width, lab::VnirCamera::sensor_height});
      return fmt::format("full frames: {} (1.5 MiB each, as attachments)",
                         frame_rate([&] { return vnir.call<roc::NdArray<std::uint16_t>>("frame"); },
                                    std::chrono::seconds(2)));
    });

    fmt::print("\nerrors are reported, not hidden:\n");
    expect_error("set fps = 1000 (out of range)", [&] { vnir.set("fps", 1000.0); return std::string("accepted?!"); });
    expect_error("grab(\"many\") (wrong type)", [&] { return vnir.call("grab", "many").dump(); });
    expect_error("set model (read-only)", [&] { vnir.set("model", std::string("x")); return std::string("accepted?!"); });
    expect_error("focus() (no such method)", [&] { return vnir.call("focus").dump(); });
    expect_error("call on 'nir' (no such object)", [&] { return client["nir"].call("grab", 1).dump(); });

    server.stop();
    broker.stop();
    fmt::print("\n{}\n", failures == 0 ? "demo finished: every call behaved as expected"
                                       : fmt::format("demo finished with {} unexpected outcome(s)", failures));
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "vnir-demo: {}\n", error.what());
    return 1;
  }
}
