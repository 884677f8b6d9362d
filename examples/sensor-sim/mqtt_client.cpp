#include "examples/sensor-sim/mqtt_client.h"

#include <mqtt_protocol.h>

#include <chrono>
#include <charconv>
#include <cstdlib>

namespace edgenode::examples {
namespace {

// libmosquitto needs one global init per process; examples are single-client processes
// that may still create a client more than once.
struct MosquittoLibrary {
  MosquittoLibrary() { mosquitto_lib_init(); }
  ~MosquittoLibrary() { mosquitto_lib_cleanup(); }
};

constexpr int kKeepaliveS = 30;

}  // namespace

Result<BrokerAddress> parse_mqtt_url(const std::string& url) {
  const std::string scheme = "mqtt://";
  if (url.rfind(scheme, 0) != 0) return bad_input("broker url '" + url + "': expected mqtt://host[:port]");
  std::string rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  BrokerAddress address;
  auto colon = rest.rfind(':');
  address.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    std::string port = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (ec != std::errc() || end != port.data() + port.size() || address.port <= 0 || address.port > 65535)
      return bad_input("broker url '" + url + "': bad port '" + port + "'");
  }
  if (address.host.empty()) return bad_input("broker url '" + url + "': missing host");
  return address;
}

Result<std::unique_ptr<MqttClient>> MqttClient::connect(const std::string& url, const std::string& client_id,
                                                        int timeout_ms) {
  static MosquittoLibrary library;
  auto address = parse_mqtt_url(url);
  if (!address) return address.error();
  std::unique_ptr<MqttClient> client(new MqttClient());
  client->handle_ = mosquitto_new(client_id.c_str(), true, client.get());
  if (client->handle_ == nullptr) return internal_error("mosquitto_new failed");
  mosquitto_int_option(client->handle_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(client->handle_, &MqttClient::on_connect);
  mosquitto_message_v5_callback_set(client->handle_, &MqttClient::on_message);
  int rc = mosquitto_connect_bind_v5(client->handle_, address->host.c_str(), address->port, kKeepaliveS,
                                     nullptr, nullptr);
  if (rc != MOSQ_ERR_SUCCESS)
    return unavailable("cannot connect to " + url + ": " + mosquitto_strerror(rc));
  rc = mosquitto_loop_start(client->handle_);
  if (rc != MOSQ_ERR_SUCCESS) return internal_error(std::string("mosquitto loop: ") + mosquitto_strerror(rc));

  std::unique_lock lock(client->mutex_);
  bool answered = client->connected_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                                 [&] { return client->connack_rc_ != -1; });
  if (!answered) return unavailable("broker " + url + " did not answer within " + std::to_string(timeout_ms) + " ms");
  if (client->connack_rc_ != 0)
    return unavailable("broker " + url + " refused the connection: " + mosquitto_reason_string(client->connack_rc_));
  return client;
}

MqttClient::~MqttClient() {
  if (handle_ == nullptr) return;
  mosquitto_disconnect(handle_);
  mosquitto_loop_stop(handle_, false);
  mosquitto_destroy(handle_);
}

Result<void> MqttClient::publish(const std::string& topic, const std::string& payload, int qos) {
  int rc = mosquitto_publish_v5(handle_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(),
                                qos, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return unavailable("publish to " + topic + ": " + mosquitto_strerror(rc));
  return {};
}

Result<void> MqttClient::subscribe(const std::string& filter, int qos, OnMessage on_message) {
  {
    std::lock_guard lock(mutex_);
    on_message_ = std::move(on_message);
    filter_ = filter;
    filter_qos_ = qos;
  }
  int rc = mosquitto_subscribe_v5(handle_, nullptr, filter.c_str(), qos, 0, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return unavailable("subscribe to " + filter + ": " + mosquitto_strerror(rc));
  return {};
}

void MqttClient::on_connect(mosquitto* handle, void* self_ptr, int rc, int, const mosquitto_property*) {
  auto* self = static_cast<MqttClient*>(self_ptr);
  std::string filter;
  int qos = 0;
  {
    std::lock_guard lock(self->mutex_);
    self->connack_rc_ = rc;
    filter = self->filter_;
    qos = self->filter_qos_;
  }
  self->connected_cv_.notify_all();
  if (rc == 0 && !filter.empty()) mosquitto_subscribe_v5(handle, nullptr, filter.c_str(), qos, 0, nullptr);
}

void MqttClient::on_message(mosquitto*, void* self_ptr, const mosquitto_message* msg, const mosquitto_property* props) {
  auto* self = static_cast<MqttClient*>(self_ptr);
  ReceivedMessage received;
  received.topic = msg->topic;
  received.payload.assign(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  for (const mosquitto_property* p = props; p != nullptr; p = mosquitto_property_next(p)) {
    if (mosquitto_property_identifier(p) != MQTT_PROP_USER_PROPERTY) continue;
    char* name = nullptr;
    char* value = nullptr;
    if (mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, false) != nullptr) {
      received.user_properties[name] = value;
    }
    free(name);
    free(value);
  }
  OnMessage callback;
  {
    std::lock_guard lock(self->mutex_);
    callback = self->on_message_;
  }
  if (callback) callback(received);
}

}  // namespace edgenode::examples
