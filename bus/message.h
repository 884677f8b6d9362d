// The envelope every transport (MQTT, ZeroMQ) delivers and publishes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace edgenode::bus {

using UserProperties = std::vector<std::pair<std::string, std::string>>;

// How an MQTT input reached us on the wire. A broker resends an unacknowledged QoS >= 1
// message with its original packet id when the session resumes; with this the journal
// can tell such a redelivery from a new message.
struct Delivery {
  int packet_id = 0;             // MQTT packet id of a QoS >= 1 message, 0 otherwise
  uint64_t connection = 0;       // which connection of the bus brought it (1, 2, ...); 0: not MQTT
  bool session_resumed = false;  // that connection resumed a session (CONNACK session present)
};

struct Message {
  std::string topic;
  std::string payload;          // raw bytes
  int qos = 0;                  // 0, 1, 2
  bool retain = false;
  std::string content_type;     // MQTT 5 content type, "" when absent
  uint32_t expiry_s = 0;        // MQTT 5 message expiry interval, 0: none
  UserProperties user_properties;
  int64_t received_at_ms = 0;   // unix ms, set by the transport on receipt
  std::string trace_id;         // from the "trace_id" user property, or generated
  std::string bus;              // name of the bus it came from / goes to
  int64_t journal_id = 0;       // inbox row when journaled, 0 otherwise
  Delivery delivery;            // set by MqttBus on receipt
};

}  // namespace edgenode::bus
