// Publishes the thermometer through an embedded broker and calls it through the generated proxy.
// Exit status 0 when the round trip works.
#include "thermometer.roc.hpp"

#include <roc/roc.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  roc::Broker broker{roc::BrokerOptions{"127.0.0.1:0"}};
  broker.start();
  shop::Thermometer thermometer;
  roc::Server server{broker.endpoints()};
  server.publish("thermo", thermometer);
  server.start();
  roc::Client client{broker.endpoints()};
  for (int i = 0; i < 500 && !client.exists("thermo"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  shop::Reading r = client.proxy<shop::Thermometer>("thermo").read("lab");
  std::printf("%s: %.1f\n", r.where.c_str(), r.celsius);
  server.stop();
  broker.stop();
  return r.where == "lab" && r.celsius == 21.5 ? 0 : 1;
}
