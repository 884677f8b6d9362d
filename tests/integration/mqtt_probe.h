// A test client on the broker: records every message it receives and lets a test wait
// for a message matching a predicate (an event, not a sleep).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bus/mqtt_bus.h"

namespace edgenode::testing {

class MqttProbe {
 public:
  MqttProbe(const std::string& url, const std::vector<std::string>& filters, int qos = 2)
      : MqttProbe(default_options(url), filters, qos) {}
  // With TLS files, credentials or a persistent session set in `options`.
  MqttProbe(bus::MqttOptions options, const std::vector<std::string>& filters, int qos = 2) {
    auto created = bus::MqttBus::create(options);
    EXPECT_TRUE(created.ok()) << created.error().message;
    bus_ = std::move(created).value();
    bus_->on_message([this](bus::Message&& m) {
      std::lock_guard lock(mutex_);
      messages_.push_back(std::move(m));
      arrived_.notify_all();
    });
    for (const auto& f : filters) EXPECT_TRUE(bus_->subscribe(f, qos).ok());
    auto started = bus_->start();
    EXPECT_TRUE(started.ok()) << started.error().message;
  }
  ~MqttProbe() { bus_->stop(); }

  void publish(const std::string& topic, const std::string& payload, int qos = 1, const std::string& content_type = {}) {
    bus::Message m;
    m.topic = topic;
    m.payload = payload;
    m.qos = qos;
    m.content_type = content_type;
    auto token = bus_->publish(m);
    EXPECT_TRUE(token.ok()) << token.error().message;
  }

  static bus::MqttOptions default_options(const std::string& url) {
    bus::MqttOptions options;
    options.name = "probe";
    options.url = url;
    options.client_id = "probe-" + std::to_string(::getpid());
    return options;
  }

  // Every message received so far, in arrival order.
  std::vector<bus::Message> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

  using Match = std::function<bool(const bus::Message&)>;
  // The first message (in arrival order) that matches, waiting up to `timeout`.
  std::optional<bus::Message> wait_for(const Match& match, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    std::optional<bus::Message> found;
    arrived_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_) {
        if (match(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  // Waits until `done` holds for the messages received so far (in arrival order).
  bool wait_until(const std::function<bool(const std::vector<bus::Message>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return done(messages_); });
  }
  // Waits until `count` messages match; returns them in arrival order.
  std::vector<bus::Message> wait_count(const Match& match, size_t count,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    std::vector<bus::Message> out;
    arrived_.wait_for(lock, timeout, [&] {
      out.clear();
      for (const auto& m : messages_) {
        if (match(m)) out.push_back(m);
      }
      return out.size() >= count;
    });
    return out;
  }

 private:
  std::unique_ptr<bus::MqttBus> bus_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<bus::Message> messages_;
};

inline MqttProbe::Match on_topic(const std::string& topic) {
  return [topic](const bus::Message& m) { return m.topic == topic; };
}

}  // namespace edgenode::testing
