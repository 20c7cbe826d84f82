// Calls the Python example stage (python/examples/stage_server.py) through the typed proxy that
// roc-gen generated from its rpc.describe (`roc describe stage --json > stage.idl.json`, then
// `roc-gen stage.idl.json -o stage.roc.hpp`). Prints one `name=value` line per call, which
// python/tests/test_server_cxx.py checks. Usage: stage_proxy_client BROKER [ID]
#include "stage.roc.hpp"

#include <roc/client.hpp>
#include <roc/error.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: stage_proxy_client BROKER [ID]\n");
    return 2;
  }
  try {
    roc::Client client{roc::Endpoints(argv[1])};
    lab::StageProxy stage{client.object(argc > 2 ? argv[2] : "stage")};
    std::printf("signature=%s\n", lab::StageProxy::signature);
    std::printf("move=%g\n", stage.move(1.5));
    std::printf("move_y=%g\n", stage.move(-2.0, lab::Axis::y));
    auto [x, y] = stage.where();
    std::printf("where=%g,%g\n", x, y);
    stage.set_speed(7.5);
    std::printf("speed=%g\n", stage.speed());
    lab::Limits limits = stage.limits();
    std::printf("limits=%g..%g\n", limits.low, limits.high);
    stage.set_limits(lab::Limits{-10.0, 10.0});
    std::printf("limits_after=%g..%g\n", stage.limits().low, stage.limits().high);
    // 100000 uint16 pixels: an attachment from Python to C++.
    roc::NdArray<std::uint16_t> line = stage.scan(100000, 3);
    std::printf("scan=%zu,%u,%u\n", line.size(), static_cast<unsigned>(line.data()[0]),
                static_cast<unsigned>(line.data()[line.size() - 1]));
    // 64x32 doubles: an attachment both ways.
    roc::NdArray<double> image({64, 32});
    for (std::size_t i = 0; i < image.size(); ++i) image.data()[i] = static_cast<double>(i);
    roc::NdArray<double> scaled = stage.scale(image, 0.5);
    std::printf("scale=%zux%zu,%g\n", scaled.shape()[0], scaled.shape()[1], scaled.data()[image.size() - 1]);
    std::vector<double> samples(5000, 0.25);  // 40 KB: an attachment to Python
    std::printf("integrate=%g\n", stage.integrate(samples));
    std::vector<std::uint8_t> raw(3000);
    std::iota(raw.begin(), raw.end(), 0);
    roc::Bytes back = stage.echo_bytes(roc::Bytes(std::move(raw)));
    std::printf("bytes=%zu,%u\n", back.size(), static_cast<unsigned>(back.data()[0]));
    std::printf("wait_for=%g\n", stage.wait_for(std::chrono::duration<double>(0.25)));
    auto tags = stage.tags({{"b", 1}, {"a", 2}}, std::string("n"));
    std::printf("tags=%s,%s,%s\n", tags[0].c_str(), tags[1].c_str(), tags[2].c_str());
    try {
      stage.fail("no power");
      std::printf("fail=returned\n");
    } catch (const roc::RemoteError& error) {
      std::printf("fail=%d %s\n", error.code(), error.data_json().c_str());
    }
    return 0;
  } catch (const std::exception& error) {
    std::printf("error=%s\n", error.what());
    return 1;
  }
}
