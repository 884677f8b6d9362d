#include "node/bus_publisher.h"

#include <spdlog/spdlog.h>

namespace edgenode::node {

BusPublisher::BusPublisher(const std::map<std::string, std::unique_ptr<bus::Bus>>& buses) : buses_(buses) {}

void BusPublisher::publish(bus::Message&& message, pipeline::OutboundKind kind) {
  auto it = buses_.find(message.bus);
  if (it == buses_.end()) {
    failures_.fetch_add(1);
    spdlog::error("publish_failed bus={} topic={} reason=\"no such bus\"", message.bus, message.topic);
    return;
  }
  auto token = it->second->publish(std::move(message));  // a failed publish leaves it as it was
  if (!token) {
    failures_.fetch_add(1);
    spdlog::warn("publish_failed bus={} topic={} kind={} reason=\"{}\"", message.bus, message.topic,
                 kind == pipeline::OutboundKind::output ? "output" : "deadletter", token.error().message);
  }
}

bool BusPublisher::publish_and_wait(const bus::Message& message, std::chrono::milliseconds timeout) {
  auto it = buses_.find(message.bus);
  if (it == buses_.end()) return false;
  // Registered under the lock the ack handler takes, since the ack may arrive before
  // publish() returns the token.
  std::unique_lock lock(mutex_);
  auto token = it->second->publish(message);
  if (!token) return false;
  const auto key = std::make_pair(message.bus, *token);
  awaited_.insert(key);
  const bool done = ack_.wait_for(lock, timeout, [&] { return awaited_.count(key) == 0; });
  awaited_.erase(key);
  return done;
}

void BusPublisher::acked(const std::string& bus, uint64_t token) {
  std::lock_guard lock(mutex_);
  if (awaited_.erase({bus, token}) > 0) ack_.notify_all();
}

}  // namespace edgenode::node
