// Driver headers in the shapes labs really have, through roc_generate() and a real broker on the
// loopback: interface + implementation, an annotated interface published for two implementations,
// exported overloads, out-parameters, defaults, C-style and nested enums, a builder, an umbrella
// header. Built with -Wall -Wextra -Werror by g++ in roc's tree and by clang against the
// installed package, so it includes nothing of roc's test support.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "daq_board.roc.hpp"
#include "laser_scanner.roc.hpp"
#include "range_finder.roc.hpp"
#include "serial_port.roc.hpp"
#include "camera.roc.hpp"

#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/server.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>

namespace {

/// A broker on a free loopback port, every corpus device published, and a client.
struct Lab {
  roc::Broker broker{roc::BrokerOptions{"127.0.0.1:0"}};
  lidar::LaserScanner lidar;
  optics::UltrasonicRangeFinder ultrasonic;
  optics::LaserRangeFinder laser;
  serial::SerialPort port;
  daq::Board board{7};
  vendor::Camera camera;
  std::unique_ptr<roc::Server> server;
  std::unique_ptr<roc::Client> client;

  Lab() {
    broker.start();
    server = std::make_unique<roc::Server>(broker.endpoints());
    server->publish("lidar", lidar);
    // Two implementations, one interface: both are served through RangeFinder's skeleton.
    server->publish<optics::RangeFinder>("ultrasonic", ultrasonic);
    server->publish("laser", static_cast<optics::RangeFinder&>(laser));
    server->publish("port", port);
    server->publish("daq", board);
    server->publish("camera", camera);
    server->start();
    client = std::make_unique<roc::Client>(broker.endpoints());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (const char* id : {"lidar", "ultrasonic", "laser", "port", "daq", "camera"}) {
      while (!client->exists(id)) {
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "waiting for '" << id << "' to register");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  ~Lab() {
    server->stop();
    broker.stop();
  }
};

}  // namespace

TEST_CASE("an implementation of an annotated interface is one object: overrides are not overloads") {
  Lab lab;
  lidar::LaserScannerProxy scanner = lab.client->proxy<lidar::LaserScanner>("lidar");
  CHECK_FALSE(scanner.is_open());
  std::vector<long> sweep;
  CHECK(scanner.get_distance(sweep) == -1);

  CHECK(scanner.open("/dev/ttyACM0"));  // a const char* parameter travels as a string
  CHECK(scanner.is_open());
  CHECK(scanner.firmware() == "URG 3.4.0 on /dev/ttyACM0");

  SUBCASE("an out-parameter's value travels to the device and back") {
    std::vector<long> three(3);
    CHECK(scanner.get_distance(three) == 3);
    CHECK(three == std::vector<long>{1000, 1010, 1020});
    std::vector<long> none;
    CHECK(scanner.get_distance(none) == 4);
    CHECK(none.size() == 4);
  }
  SUBCASE("a dynamic call sees the out-parameter in the result object") {
    roc::Json result = scanner.handle().call_json("get_distance", roc::Json::parse("[[0, 0]]"));
    CHECK(result == roc::Json::parse(R"({"return": 2, "data": [1000, 1010]})"));
  }
  scanner.close();
  CHECK_FALSE(scanner.is_open());
}

TEST_CASE("an annotated pure-virtual interface serves any implementation through one proxy") {
  Lab lab;
  optics::RangeFinderProxy ultrasonic = lab.client->proxy<optics::RangeFinder>("ultrasonic");
  optics::RangeFinderProxy laser = lab.client->proxy<optics::RangeFinder>("laser");
  CHECK(ultrasonic.model() == "US-100");
  CHECK(laser.model() == "LRF-3000");
  ultrasonic.set_averaging(4);
  laser.set_averaging(2);
  CHECK(ultrasonic.distance_m() == doctest::Approx(1.0));
  CHECK(laser.distance_m() == doctest::Approx(44.5));
}

TEST_CASE("exported overloads keep their C++ names in the proxy and their own wire names") {
  Lab lab;
  serial::SerialPortProxy port = lab.client->proxy<serial::SerialPort>("port");
  CHECK(port.write(std::string("*IDN?")) == 5);
  CHECK(port.write(std::vector<std::uint8_t>{1, 2, 3}) == 1003);
  CHECK(port.handle().call<std::size_t>("write_text", "ab") == 2);

  std::string line;
  CHECK(port.read(line));
  CHECK(line == "first");
  std::vector<std::uint8_t> bytes;
  CHECK(port.read(bytes, 4) == 4);  // *IDN
  CHECK(bytes == std::vector<std::uint8_t>{'*', 'I', 'D', 'N'});
  CHECK(port.read(bytes) == 10);     // the default max (64) keeps all ten bytes written
  CHECK(port.handle().call<bool>("read_line", roc::inout("line", line)));
  CHECK(line == "second");

  // send(const char*) and send(const std::string&) are one signature to a proxy: wire names.
  CHECK(port.send_c("*IDN?"));
  CHECK(port.send("*RST"));
}

TEST_CASE("defaults survive: the proxy keeps them and the server fills them for dynamic calls") {
  Lab lab;
  serial::SerialPortProxy port = lab.client->proxy<serial::SerialPort>("port");
  CHECK(port.read_voltage(2) == doctest::Approx(3.0));
  CHECK(port.read_voltage(2, false) == doctest::Approx(2.0));
  CHECK(port.handle().call<double>("read_voltage", 4) == doctest::Approx(6.0));
  CHECK(port.handle().call_json("read_voltage", roc::Json::parse(R"({"channel": 4})")).as<double>() ==
        doctest::Approx(6.0));

  daq::BoardProxy board = lab.client->proxy<daq::Board>("daq");
  CHECK(board.channels() == 16);
  board.configure();  // channel = kDefaultChannel (an anonymous enum's constant), bipolar, 1 kHz, "ai"
  CHECK(board.configuration() == "3:0:1000:ai");
  board.configure(5, daq::Board::unipolar_10v);
  CHECK(board.configuration(5) == "5:2:1000:ai");
  CHECK(board.range_of(5) == daq::Board::unipolar_10v);
  board.handle().call_json("configure", roc::Json::parse(R"([6, "bipolar_5v"])"));
  CHECK(board.configuration(6) == "6:1:1000:ai");
}

TEST_CASE("C-style typedef enums and termios-valued enums travel by name") {
  Lab lab;
  serial::SerialPortProxy port = lab.client->proxy<serial::SerialPort>("port");
  CHECK(port.open("/dev/ttyUSB0", serial::Baud::fast, serial::parity_even));
  CHECK(port.parity() == serial::parity_even);
  CHECK(port.baud() == serial::Baud::b115200);  // an alias is the same value
  CHECK(port.handle().call<roc::Json>("parity") == roc::Json::parse(R"("parity_even")"));
  CHECK(port.handle().call<bool>("open", "/dev/ttyUSB1", "b19200", "parity_odd"));
  CHECK(port.parity() == serial::parity_odd);
  port.set_baud(serial::Baud::standard);
  CHECK(port.baud() == serial::Baud::b9600);
  CHECK(port.open("/dev/ttyUSB2"));  // both enum parameters defaulted
  CHECK(port.parity() == serial::parity_none);
}

TEST_CASE("a builder method chains on the proxy as on the device") {
  Lab lab;
  serial::SerialPortProxy port = lab.client->proxy<serial::SerialPort>("port");
  port.set_timeout(50).set_timeout(250);
  CHECK(port.timeout() == 250);
  CHECK(port.handle().call<roc::Json>("set_timeout", 300) == roc::Json::parse("null"));
  CHECK(port.timeout() == 300);
}

TEST_CASE("a class behind an umbrella header is generated and served") {
  Lab lab;
  vendor::CameraProxy camera = lab.client->proxy<vendor::Camera>("camera");
  camera.set_exposure(250.0);
  CHECK(camera.exposure() == doctest::Approx(250.0));
  CHECK(camera.geometry().width == 640u);
}
