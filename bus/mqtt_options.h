// How to reach and use an MQTT 5 broker. The config layer fills this in; secrets
// (password) arrive already resolved and are never logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace edgenode::bus {

struct MqttWill {
  std::string topic;    // the node's <prefix>/status
  std::string payload;  // "offline"
  int qos = 1;
  bool retain = true;
  // MQTT 5 Will Delay Interval: the broker waits this long and drops the will if the same
  // session connects again meanwhile (it cannot wait longer than a persistent session
  // lasts; a clean session's will goes out when the connection ends).
  uint32_t delay_s = 0;
};

struct MqttOptions {
  std::string name = "default";  // the bus name messages carry
  std::string url;               // mqtt://host[:1883] or mqtts://host[:8883]
  std::string client_id;         // required for a persistent session
  int keepalive_s = 30;
  std::string username;
  std::string password;          // never logged
  std::string ca_file;           // mqtts: CA to trust; empty: the system store
  std::string cert_file;         // mutual TLS: client certificate
  std::string key_file;          // mutual TLS: client key
  bool insecure = false;         // skip server certificate checks: tests only
  bool persistent_session = false;   // clean start off + session expiry below
  uint32_t session_expiry_s = 86400;
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30000};
  // start() waits this long for the first connection attempt's outcome.
  std::chrono::milliseconds connect_timeout{10000};
  std::optional<MqttWill> will;
};

struct BrokerAddress {
  std::string host;
  int port = 1883;
  bool tls = false;
};

// mqtt://host[:port] (default 1883) or mqtts://host[:port] (default 8883); IPv6
// literals in brackets. Credentials in the url (user:password@) are refused.
Result<BrokerAddress> parse_mqtt_url(const std::string& url);

}  // namespace edgenode::bus
