// Event-driven helpers for bus tests: collect messages, acks and connection changes,
// and wait for them on a condition variable with a timeout (never a fixed sleep).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bus/bus.h"

namespace edgenode::bus {

class BusEvents {
 public:
  // Installs handlers on the bus that record into this object.
  void attach(Bus& bus) {
    bus.on_message([this](Message&& m) {
      std::lock_guard lock(mutex_);
      messages_.push_back(std::move(m));
      changed_.notify_all();
    });
    bus.on_ack([this](uint64_t token) {
      std::lock_guard lock(mutex_);
      acks_.insert(token);
      changed_.notify_all();
    });
    bus.on_connection([this](bool up) {
      std::lock_guard lock(mutex_);
      connected_ = up;
      if (up) ++connects_;
      changed_.notify_all();
    });
  }

  // Waits until pred() (called under the lock) holds or the timeout passes.
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, pred);
  }
  bool wait_messages(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait([&] { return messages_.size() >= n; }, timeout);
  }
  bool wait_payload(const std::string& payload, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait([&] {
      for (const auto& m : messages_)
        if (m.payload == payload) return true;
      return false;
    }, timeout);
  }
  bool wait_ack(uint64_t token, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait([&] { return acks_.count(token) > 0; }, timeout);
  }
  bool wait_connects(int n, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    return wait([&] { return connects_ >= n && connected_; }, timeout);
  }
  bool wait_disconnected(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait([&] { return !connected_; }, timeout);
  }

  std::vector<Message> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t message_count() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> messages_;
  std::set<uint64_t> acks_;
  bool connected_ = false;
  int connects_ = 0;
};

}  // namespace edgenode::bus
