// Background publisher shared by the log sink and the StatusUpdater: callers hand items to a
// bounded queue (never blocking on the network); one thread owns the socket, encodes and sends.
#pragma once

#include "transport/sockets.hpp"

#include <roc/endpoints.hpp>

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace roc::detail {

/// One PUB message: topic frame, body frame, and a third frame when `stamp` is not empty.
struct PubMessage {
  std::string topic;
  std::string body;
  std::string stamp{};
};

/// A thread owning an XPUB socket connected to the broker's publish endpoint (XSUB).
///
/// XPUB rather than PUB so the thread sees the broker's subscriptions: nothing is sent before the
/// first one arrives (a PUB drops everything sent before its peer subscribed, so the first
/// records after start would be lost), and `on_subscribe` learns of every (re)connection, which
/// the StatusUpdater uses to republish its tree to a restarted broker.
///
/// try_push() is wait-free with respect to the network: it takes a mutex held only for queue
/// operations, and drops (counting) when the queue holds `capacity` items. XPUB_NODROP makes a
/// full socket pipe hold the thread (rather than lose messages silently), so the only place
/// anything is dropped is the queue, and every drop is counted.
template <class Item>
class Publisher {
 public:
  /// Turns an item into a message, in the publisher's thread.
  using Encode = std::function<void(Item&, PubMessage&)>;
  /// Called in the publisher's thread for each subscription seen (without the 0x01 byte); may
  /// append messages to send before any queued item.
  using OnSubscribe = std::function<void(std::string_view topic, std::vector<PubMessage>& out)>;

  Publisher(const Endpoints& endpoints, std::size_t capacity, Encode encode,
            OnSubscribe on_subscribe = {})
      : capacity_(capacity), encode_(std::move(encode)), on_subscribe_(std::move(on_subscribe)),
        socket_(broker_socket(context_, zmq::socket_type::xpub, endpoints, endpoints.credentials())) {
    socket_.set(zmq::sockopt::xpub_verbose, 1);
    socket_.set(zmq::sockopt::xpub_nodrop, 1);
    socket_.set(zmq::sockopt::sndhwm, 10000);
    socket_.set(zmq::sockopt::linger, 500);  // bounded: closing never waits longer for a dead broker
    socket_.connect(endpoints.publish());
    thread_ = std::thread([this] { run(); });
  }

  ~Publisher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    socket_.close();
    context_.close();
  }

  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Queues `item`; false (and counted in dropped()) when the queue is full. Never throws
  /// except std::bad_alloc from the queue itself, which it swallows as a drop.
  bool try_push(Item&& item) noexcept {
    try {
      std::unique_lock<std::mutex> lock(mutex_);
      if (queue_.size() >= capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      queue_.push_back(std::move(item));
      // Wake the thread only when it sleeps: a futex wake per record would cost more than the
      // whole rest of a log call.
      if (sleeping_) {
        sleeping_ = false;
        lock.unlock();
        wake_.notify_one();
      }
      return true;
    } catch (...) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  /// Whether a subscription has arrived since the start (the broker is, or was, connected).
  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }

  /// Waits until the broker has subscribed and the queue is empty, everything taken from it
  /// handed to the socket; false after `timeout`.
  bool flush(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] {
      return connected_.load(std::memory_order_acquire) && queue_.empty() && !sending_;
    });
  }

 private:
  void run() {
    std::deque<Item> batch;
    std::vector<PubMessage> extra;
    PubMessage message;
    while (true) {
      take_subscriptions(extra);
      for (auto& m : extra)  // rare (a (re)connection): a full pipe drops it
        if (!send(m)) dropped_.fetch_add(1, std::memory_order_relaxed);
      extra.clear();
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (stop_ && (queue_.empty() || !connected())) return;
        if (queue_.empty() || !connected()) {
          sending_ = false;
          idle_.notify_all();
          sleeping_ = true;
          // Bounded sleep: subscriptions arrive on the socket, which a condition variable cannot
          // watch; 20 ms is how late a (re)connection can be noticed.
          wake_.wait_for(lock, std::chrono::milliseconds(20));
          sleeping_ = false;
          continue;
        }
        batch.swap(queue_);
        sending_ = true;
      }
      for (auto& item : batch) {
        try {
          encode_(item, message);
        } catch (...) {
          dropped_.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        // A full socket pipe (slow or absent broker) holds this thread, not the callers: the
        // queue keeps absorbing until it is full, and the drops are counted there.
        while (!send(message)) {
          if (stopping()) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            break;
          }
          take_subscriptions(extra);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
      batch.clear();
    }
  }

  void take_subscriptions(std::vector<PubMessage>& extra) {
    zmq::message_t msg;
    while (true) {
      zmq::recv_result_t r;
      try {
        r = socket_.recv(msg, zmq::recv_flags::dontwait);
      } catch (const zmq::error_t&) {
        return;
      }
      if (!r) return;
      if (msg.size() == 0 || msg.data<char>()[0] != 1) continue;  // unsubscriptions
      connected_.store(true, std::memory_order_release);
      if (on_subscribe_)
        on_subscribe_(std::string_view(msg.data<char>() + 1, msg.size() - 1), extra);
    }
  }

  bool stopping() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stop_;
  }

  /// False when the socket's pipe is full (XPUB_NODROP); a failure is counted and dropped.
  bool send(const PubMessage& m) {
    try {
      if (!socket_.send(zmq::buffer(m.topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        return false;
      // Once the first frame is in, the rest always goes (a message is atomic).
      if (m.stamp.empty()) {
        socket_.send(zmq::buffer(m.body), zmq::send_flags::none);
      } else {
        socket_.send(zmq::buffer(m.body), zmq::send_flags::sndmore);
        socket_.send(zmq::buffer(m.stamp), zmq::send_flags::none);
      }
    } catch (const zmq::error_t&) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
  }

  const std::size_t capacity_;
  Encode encode_;
  OnSubscribe on_subscribe_;
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  mutable std::condition_variable idle_;
  std::deque<Item> queue_;
  bool sleeping_ = false;
  bool sending_ = false;
  bool stop_ = false;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace roc::detail
