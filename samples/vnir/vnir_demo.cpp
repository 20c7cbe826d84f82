// vnir-demo: the whole of roc in one process — an embedded broker, the camera published by a
// server, and a client calling it over real TCP sockets on the loopback.
#include "print_calls.hpp"
#include "vnir_binding.hpp"

#include <roc/roc.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <thread>
#include <cstdint>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"Starts an embedded roc broker, publishes a simulated VNIR camera, and calls it."};
  std::string bind = "127.0.0.1:0";
  app.add_option("--bind", bind, "Broker address to bind (port 0 picks free ports)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    roc::Broker broker{roc::BrokerOptions{bind}};
    broker.start();
    const auto endpoints = broker.endpoints();
    fmt::print("broker    listening at {} (calls), {} (publish), {} (subscribe)\n", endpoints.calls(),
               endpoints.publish(), endpoints.subscribe());

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
