// Sends the runner's outputs and dead-letters to the bus each message names, and lets
// the runtime wait until a publish is acknowledged (for the final `offline`).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "bus/bus.h"
#include "pipeline/runner.h"

namespace edgenode::node {

class BusPublisher final : public pipeline::Publisher {
 public:
  explicit BusPublisher(const std::map<std::string, std::unique_ptr<bus::Bus>>& buses);

  void publish(bus::Message&& message, pipeline::OutboundKind kind) override;
  // Publishes and waits up to `timeout` for the broker's acknowledgement.
  bool publish_and_wait(const bus::Message& message, std::chrono::milliseconds timeout);
  // Call from each bus's on_ack handler.
  void acked(const std::string& bus, uint64_t token);
  uint64_t failures() const { return failures_.load(); }

 private:
  const std::map<std::string, std::unique_ptr<bus::Bus>>& buses_;
  std::atomic<uint64_t> failures_{0};
  std::mutex mutex_;
  std::condition_variable ack_;
  std::set<std::pair<std::string, uint64_t>> awaited_;  // tokens someone waits for
};

}  // namespace edgenode::node
