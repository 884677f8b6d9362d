// A running node: its buses, models, pipelines and runner, the retained status and the
// telemetry. `edgenode run` builds one from a checked config and runs it until SIGINT or
// SIGTERM, then stops input, drains within the deadline, publishes `offline` and stops. A
// reload (SIGHUP) stops it without `offline` and builds the next one, which keeps the
// models whose config did not change.
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
#include "node/node_models.h"
#include "pipeline/config.h"
#include "pipeline/runner.h"

namespace edgenode::node {

class BusPublisher;
class HttpEndpoint;
class InputGate;
class JournalPublisher;

// Why the node stops, which decides what the retained status says and what becomes of an
// input that arrives while it stops.
enum class StopReason {
  shutdown,              // `offline`; a late input is journaled, else not kept
  reload,                // the status stays `online`; a late input goes to the next runtime
  reload_moving_status,  // as reload, but the old status place is told `offline`
};

class NodeRuntime {
 public:
  // Loads models (taking the unchanged ones from `reusable`), builds pipelines, creates the
  // buses (not yet connected). Config errors come back as one message listing them all.
  static Result<std::unique_ptr<NodeRuntime>> create(pipeline::LoadedConfig& config,
                                                     const LoadedModels& reusable = {});
  ~NodeRuntime();

  // Connects the buses, subscribes, publishes the retained `online` status. `handed_over`:
  // inputs a reloaded runtime received while it stopped, run once the buses are up.
  Result<void> start(std::vector<bus::Message> handed_over = {});
  // Publishes one telemetry record.
  void publish_telemetry();
  // Stops input, drains, publishes `offline` (not on a reload), disconnects. Returns
  // messages left undone.
  size_t stop(StopReason reason = StopReason::shutdown);
  // After a reload's stop: the inputs that arrived meanwhile, for the next runtime's start().
  std::vector<bus::Message> take_handed_over();

  const pipeline::NodeSettings& settings() const { return settings_; }
  const LoadedModels& loaded_models() const { return loaded_models_; }

  // Where the retained status of a node with these settings lives: the control bus's
  // broker (or ZeroMQ endpoint) and the status topic.
  static std::string status_location(const pipeline::NodeSettings& settings);
  // Says `offline` for a node with these settings when no runtime of it is left to: over a
  // connection of its own, on a clean session, so a persistent session's queue is untouched.
  static void announce_offline(const pipeline::NodeSettings& settings);

 private:
  NodeRuntime() = default;
  void publish_status(bool online);
  bus::Bus* control_bus() const;

  pipeline::NodeSettings settings_;
  LoadedModels loaded_models_;
  pipeline::ModelSet models_;  // loaded_models_ by name
  std::map<std::string, std::unique_ptr<bus::Bus>> buses_;
  std::unique_ptr<BusPublisher> publisher_;
  std::unique_ptr<JournalPublisher> journal_;  // with node.journal: the runner's publisher
  std::unique_ptr<InputGate> input_gate_;      // with node.journal: pauses buses with parked inputs
  std::atomic<bool> input_closed_{false};       // stopping: inputs are journaled, not run
  std::atomic<bool> hand_over_{false};          // reloading: inputs not journaled are handed over
  std::mutex handed_over_mutex_;
  std::vector<bus::Message> handed_over_;
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
