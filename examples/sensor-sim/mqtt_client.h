// A minimal MQTT 5 client for the examples: connect from an mqtt://host:port URL, run the
// network loop on libmosquitto's thread, publish and subscribe. Errors are values.
#pragma once

#include <mosquitto.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"

namespace edgenode::examples {

struct BrokerAddress {
  std::string host;
  int port = 1883;
};

// Accepts mqtt://host[:port] (TLS is out of scope for the examples).
Result<BrokerAddress> parse_mqtt_url(const std::string& url);

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  std::map<std::string, std::string> user_properties;
};

class MqttClient {
 public:
  using OnMessage = std::function<void(const ReceivedMessage&)>;

  ~MqttClient();
  // Connects (blocking until the broker answers or `timeout_ms` passes) and starts the loop.
  static Result<std::unique_ptr<MqttClient>> connect(const std::string& url, const std::string& client_id,
                                                     int timeout_ms = 5000);
  Result<void> publish(const std::string& topic, const std::string& payload, int qos);
  // `on_message` runs on libmosquitto's network thread; the subscription is renewed after a
  // reconnect.
  Result<void> subscribe(const std::string& filter, int qos, OnMessage on_message);

 private:
  MqttClient() = default;
  static void on_connect(mosquitto*, void* self, int rc, int flags, const mosquitto_property*);
  static void on_message(mosquitto*, void* self, const mosquitto_message* msg, const mosquitto_property* props);

  mosquitto* handle_ = nullptr;
  std::mutex mutex_;
  std::condition_variable connected_cv_;
  int connack_rc_ = -1;  // -1 until the broker answers
  OnMessage on_message_;
  std::string filter_;
  int filter_qos_ = 0;
};

}  // namespace edgenode::examples
