// Cost of one spdlog call through roc's sink, in the caller's thread: median and p99, with the
// broker up and listened to, up with nobody listening, and down. Run pinned: taskset -c 0.
#include "bench_support.hpp"

#include <roc/broker.hpp>
#include <roc/log.hpp>

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include <memory>
#include <thread>

namespace {

void measure(const char* scenario, const roc::Endpoints& endpoints, int count) {
  auto logger = std::make_shared<spdlog::logger>("bench");
  auto sink = std::make_shared<roc::log::Sink>(endpoints, "bench-node");
  logger->sinks().push_back(sink);
  sink->drain(std::chrono::milliseconds(500));  // connected, when there is a broker
  int i = 0;
  auto latency = roc::bench::time_sequential([&] { logger->info("frame {} exposed for {} us", ++i, 1250); }, count);
  fmt::print("{:<34} median {:6.3f} us   p99 {:7.3f} us   dropped {:>7} of {}\n", scenario, latency.median_us,
             latency.p99_us, sink->dropped(), count + 1000);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cost of a log call in the caller's thread with roc's sink installed."};
  roc::cli::set_program(app, "bench_log");
  int count = 200000;
  app.add_option("-n,--count", count, "Log calls per scenario")->capture_default_str();
  if (auto exit = roc::cli::parse(app, argc, argv)) return *exit;

  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  auto broker = std::make_unique<roc::Broker>(options);
  broker->start();
  const auto endpoints = broker->endpoints();
  {
    zmq::context_t context(1);
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::rcvhwm, 0);
    sub.connect(endpoints.subscribe());
    sub.set(zmq::sockopt::subscribe, "log.");
    std::atomic<bool> stop{false};
    std::thread reader([&] {  // a subscriber that keeps up, as roc-logdump would
      zmq::message_t m;
      while (!stop) {
        zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, std::chrono::milliseconds(50));
        while (sub.recv(m, zmq::recv_flags::dontwait)) {
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a benchmark, not a test: settle
    measure("broker up, one subscriber", endpoints, count);
    stop = true;
    reader.join();
  }
  measure("broker up, nobody subscribed", endpoints, count);
  broker->stop();
  broker.reset();
  measure("broker down", endpoints, count);
  return 0;
}
