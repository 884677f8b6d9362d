// A site for one `edgenode run` test: a node config written the way a technician writes
// it (a relay pipeline in/<device> → out/<device>, QoS 1), the node process, and the
// waits for its retained `online` status and for a line in its log.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mqtt_probe.h"
#include "node_process.h"

namespace edgenode::testing {

// The model the project ships (models/), which tests that need a real model run; it is
// absent from a checkout without it, and those tests skip.
inline std::filesystem::path shipped_model() {
  return std::filesystem::path(EDGENODE_SOURCE_DIR) / "models" / "triage-q8_0.gguf";
}

// `node_fields` and `bus_fields` are YAML flow-mapping entries added to `node:` and to
// its `mqtt:` bus, e.g. `journal: /tmp/j.db` or `ca_file: /tmp/ca.crt`.
inline std::string write_relay_config(const std::filesystem::path& dir, const std::string& id, const std::string& url,
                                      const std::string& bus_fields, const std::string& node_fields = {}) {
  std::ostringstream y;
  y << "node:\n  id: " << id << "\n"
    << "  bus: {mqtt: {url: \"" << url << "\", client_id: " << id << "-node"
    << (bus_fields.empty() ? "" : ", " + bus_fields) << "}}\n"
    << "  telemetry: {interval: 200ms}\n";
  if (!node_fields.empty()) y << "  " << node_fields << "\n";
  y << "pipelines:\n"
       "  - name: relay\n"
       "    input: {topics: [\"in/+\"], qos: 1, format: json}\n"
       "    post: [{set: {field: seq, expr: \"payload.seq\"}}, {set: {field: device, expr: \"topic_levels[1]\"}}]\n"
       "    output: {topic: \"out/{{ topic_levels[1] }}\", qos: 1}\n";
  const auto path = dir / (id + ".yaml");
  std::ofstream(path) << y.str();
  return path.string();
}

// The node's retained status once it says `online`; nullopt after `timeout`.
inline std::optional<bus::Message> wait_online(MqttProbe& probe, const std::string& id,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const std::string topic = "edgenode/" + id + "/status";
  return probe.wait_for(
      [&](const bus::Message& m) { return m.topic == topic && m.payload.find("\"online\"") != std::string::npos; },
      timeout);
}

// How many times `text` occurs in `log`.
inline size_t occurrences(const std::string& log, const std::string& text) {
  size_t found = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++found;
  return found;
}

// Log lines appear a little after the event they report: waits up to 20 s for `text` to
// show up `count` times.
inline bool log_shows(const NodeProcess& node, const std::string& text, size_t count = 1) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    if (occurrences(node.log(), text) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a log file has no change event
  }
  return false;
}

// The lines of a log that start with `prefix` (the CLI's own messages start "edgenode: ").
inline std::vector<std::string> lines_starting_with(const std::string& log, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

// The last non-empty line of a log.
inline std::string last_line(const std::string& log) {
  std::string last;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace edgenode::testing
