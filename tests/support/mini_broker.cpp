#include "support/mini_broker.hpp"

#include <zmq_addon.hpp>

#include <algorithm>
#include <deque>
#include <iterator>
#include <map>

namespace roc::test {
namespace {

using Clock = std::chrono::steady_clock;
using Frames = std::vector<zmq::message_t>;

std::string text(const zmq::message_t& m) { return m.to_string(); }

void send(zmq::socket_t& s, const std::vector<std::string>& head, Frames tail = {}) {
  for (std::size_t i = 0; i < head.size(); ++i)
    s.send(zmq::buffer(head[i]), i + 1 < head.size() || !tail.empty() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  for (std::size_t i = 0; i < tail.size(); ++i)
    s.send(tail[i], i + 1 < tail.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

const std::string ready(1, '\x01'), request(1, '\x02'), reply(1, '\x03'), heartbeat(1, '\x04'),
    disconnect(1, '\x05');

}  // namespace

MiniBroker::MiniBroker(Options options) : options_(options) {
  router_.set(zmq::sockopt::linger, 0);
  router_.bind("tcp://127.0.0.1:*");
  endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  thread_ = std::thread([this] { run(); });
}

MiniBroker::~MiniBroker() {
  stopping_ = true;
  thread_.join();
}

std::vector<std::string> MiniBroker::readies() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return readies_;
}

void MiniBroker::run() {
  struct Worker {
    std::string service;
    unsigned credit = 1;
    unsigned in_flight = 0;
    Clock::time_point expiry;
  };
  struct Request {
    std::string client;
    Frames body;
  };
  std::map<std::string, Worker> workers;
  std::map<std::string, std::deque<Request>> queues;  // by service
  auto next_heartbeat = Clock::now() + options_.heartbeat;
  const auto expiry = options_.heartbeat * options_.liveness;

  auto dispatch = [&](const std::string& service) {
    auto& queue = queues[service];
    for (auto& [identity, w] : workers) {
      while (w.service == service && w.in_flight < w.credit && !queue.empty()) {
        ++w.in_flight;
        send(router_, {identity, "", "MDPW01", request, queue.front().client, ""}, std::move(queue.front().body));
        queue.pop_front();
      }
    }
  };

  while (!stopping_) {
    zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
    const auto now = Clock::now();
    if (now >= next_heartbeat) {
      next_heartbeat = now + options_.heartbeat;
      for (auto it = workers.begin(); it != workers.end();) {
        const bool idle = it->second.in_flight == 0;
        if (idle && it->second.expiry < now) {
          it = workers.erase(it);
          continue;
        }
        if (idle && !options_.silent) send(router_, {it->first, "", "MDPW01", heartbeat});
        ++it;
      }
    }
    if (!(item.revents & ZMQ_POLLIN)) continue;
    Frames frames;
    if (!zmq::recv_multipart(router_, std::back_inserter(frames), zmq::recv_flags::dontwait)) continue;
    if (frames.size() < 4) continue;
    const auto sender = text(frames[0]);
    const auto protocol = text(frames[2]);
    if (protocol == "MDPC01") {
      const auto service = text(frames[3]);
      if (service.rfind("mmi.", 0) == 0) {
        send(router_, {sender, "", "MDPC01", service, "501"});
        continue;
      }
      Frames body(std::make_move_iterator(frames.begin() + 4), std::make_move_iterator(frames.end()));
      queues[service].push_back(Request{sender, std::move(body)});
      dispatch(service);
      continue;
    }
    if (protocol != "MDPW01") continue;
    const auto command = text(frames[3]);
    auto it = workers.find(sender);
    if (command == ready && frames.size() >= 5) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        readies_.push_back(sender);
      }
      if (options_.refuse_ready || it != workers.end()) {
        if (it != workers.end()) workers.erase(it);
        send(router_, {sender, "", "MDPW01", disconnect});
        continue;
      }
      Worker w;
      w.service = text(frames[4]);
      if (options_.credit && frames.size() >= 6) w.credit = std::max(1, std::stoi(text(frames[5])));
      w.expiry = now + expiry;
      workers[sender] = w;
      dispatch(w.service);
    } else if (command == disconnect) {
      ++disconnects_;
      if (it != workers.end()) workers.erase(it);
    } else if (it == workers.end()) {
      send(router_, {sender, "", "MDPW01", disconnect});  // as mdbroker: register first
    } else if (command == reply && frames.size() >= 7) {
      Worker& w = it->second;
      if (w.in_flight > 0) --w.in_flight;
      w.expiry = now + expiry;
      Frames body(std::make_move_iterator(frames.begin() + 6), std::make_move_iterator(frames.end()));
      send(router_, {text(frames[4]), "", "MDPC01", w.service}, std::move(body));
      dispatch(w.service);
    } else if (command == heartbeat) {
      it->second.expiry = now + expiry;
    }
  }
}

}  // namespace roc::test
