// The node-level part of a config — identity, buses, telemetry, models — as typed
// settings, and the specs they are read with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/spec.h"

namespace edgenode::pipeline {

struct MqttSettings {
  std::string url;
  std::string client_id;
  std::string username;
  std::string password;  // secret: never logged
  std::string ca_file, cert_file, key_file;
  bool insecure = false;
  bool persistent_session = false;
  int64_t session_expiry_ms = 0;
  int64_t keepalive_ms = 0;
  int64_t reconnect_min_ms = 0, reconnect_max_ms = 0;
};

struct ZmqSettings {
  std::string sub, pull, pub, push;  // endpoints; empty: unused
  bool bind = false;
};

struct BusSettings {
  std::string name;  // "default" for node.bus
  std::optional<MqttSettings> mqtt;
  std::optional<ZmqSettings> zmq;
};

struct ModelSettings {
  std::string name;
  std::string path;
  int threads = 0;
  int context = 0;
  int max_sequences = 1;
  std::string weights = "q8_0";
  bool operator==(const ModelSettings&) const = default;  // a reload keeps an unchanged model
};

struct NodeSettings {
  std::string id;
  std::string topic_prefix;
  std::string journal;
  uint64_t outbox_max_messages = 100000;
  uint64_t outbox_max_bytes = 256ull << 20;
  std::string outbox_on_full = "drop_oldest";  // drop_oldest | block
  std::string archive_path;                    // empty: no raw archive
  uint64_t archive_max_bytes = 64ull << 20;
  int64_t archive_max_age_ms = 604800000;
  std::vector<BusSettings> buses;  // the default bus first when there is one
  int64_t telemetry_interval_ms = 10000;
  std::string telemetry_format = "json";
  std::string http_listen;
  int64_t drain_timeout_ms = 5000;
  std::vector<ModelSettings> models;
};

const ObjectSpec& node_spec();
const FieldSpec& models_field_spec();
// Typed settings from the values read against node_spec() and models (already validated).
NodeSettings node_settings_from(const nlohmann::json& node, const nlohmann::json& models);

}  // namespace edgenode::pipeline
