// A running node: its buses, models, pipelines and runner, the retained status and the
// telemetry. `edgenode run` builds one from a checked config and runs it until SIGINT or
// SIGTERM, then stops input, drains within the deadline, publishes `offline` and stops.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "bus/bus.h"
#include "bus/raw_archive.h"
#include "pipeline/config.h"
#include "pipeline/runner.h"

namespace edgenode::node {

class BusPublisher;
class HttpEndpoint;
class InputGate;
class JournalPublisher;

class NodeRuntime {
 public:
  // Loads models, builds pipelines, creates the buses (not yet connected). Config errors
  // come back as one message listing them all.
  static Result<std::unique_ptr<NodeRuntime>> create(pipeline::LoadedConfig& config);
  ~NodeRuntime();

  // Connects the buses, subscribes, publishes the retained `online` status.
  Result<void> start();
  // Publishes one telemetry record.
  void publish_telemetry();
  // Stops input, drains, publishes `offline`, disconnects. Returns messages left undone.
  size_t stop();

  const pipeline::NodeSettings& settings() const { return settings_; }

 private:
  NodeRuntime() = default;
  void publish_status(bool online);
  bus::Bus* control_bus() const;

  pipeline::NodeSettings settings_;
  pipeline::ModelSet models_;
  std::map<std::string, std::unique_ptr<bus::Bus>> buses_;
  std::unique_ptr<BusPublisher> publisher_;
  std::unique_ptr<JournalPublisher> journal_;  // with node.journal: the runner's publisher
  std::unique_ptr<InputGate> input_gate_;      // with node.journal: pauses buses with parked inputs
  std::atomic<bool> input_closed_{false};       // stopping: inputs are journaled, not run
  std::atomic<bool> buses_started_{false};      // start() has started every bus
  bool online_ = false;                         // start() completed and said `online`
  std::unique_ptr<bus::RawArchive> archive_;  // with node.archive; outlives the runner that feeds it
  std::unique_ptr<pipeline::Runner> runner_;
  std::vector<const bus::Bus*> bus_views_;
  std::unique_ptr<class Telemetry> telemetry_;
  std::unique_ptr<HttpEndpoint> http_;
  std::string control_bus_;
  std::vector<std::string> pipeline_names_;
};

}  // namespace edgenode::node
