// The passthrough benchmark's load: one MQTT client publishes 100-byte JSON readings
// carrying their send time to a node's input topic, another receives what the node
// publishes on its output topic and measures messages/s and end-to-end latency.
#pragma once

#include <chrono>
#include <string>

namespace edgenode::bench {

struct LoadOptions {
  std::string broker_url;
  std::string input_topic;   // where readings are published
  std::string output_topic;  // where the node publishes what passed its filter
  int qos = 0;               // both directions
  int max_messages = 200000;
  std::chrono::seconds max_duration{30};  // stop sending after this long
  // At most this many readings sent but not yet received, so that latency measures the
  // path rather than a queue the generator built up.
  int window = 1000;
  // How long to wait for the node to pass a first reading through before giving up.
  std::chrono::seconds ready_timeout{60};
};

struct LoadResult {
  bool ready = false;  // a probe reading came through before ready_timeout
  std::string error;   // set when the run could not happen
  int sent = 0;
  int received = 0;
  double messages_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// Waits until the node passes a probe reading through (it is connected and
// subscribed), then sends the measured readings.
LoadResult run_load(const LoadOptions& options);

}  // namespace edgenode::bench
