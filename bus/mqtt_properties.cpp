#include "bus/mqtt_properties.h"

#include <mqtt_protocol.h>

#include <cstdlib>

namespace edgenode::bus {

int add_publish_properties(const Message& message, PropertyList& list) {
  int rc = MOSQ_ERR_SUCCESS;
  if (!message.content_type.empty())
    rc = mosquitto_property_add_string(list.out(), MQTT_PROP_CONTENT_TYPE, message.content_type.c_str());
  if (rc == MOSQ_ERR_SUCCESS && message.expiry_s > 0)
    rc = mosquitto_property_add_int32(list.out(), MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, message.expiry_s);
  for (const auto& [key, value] : message.user_properties) {
    if (rc != MOSQ_ERR_SUCCESS) break;
    rc = mosquitto_property_add_string_pair(list.out(), MQTT_PROP_USER_PROPERTY, key.c_str(), value.c_str());
  }
  return rc;
}

int check_publish_properties(const Message& message) {
  // libmosquitto takes C strings, so an embedded NUL counts as malformed here rather than
  // cutting the string short.
  auto valid = [](const std::string& s) {
    return mosquitto_validate_utf8(s.data(), static_cast<int>(s.size())) == MOSQ_ERR_SUCCESS;
  };
  if (!message.content_type.empty() && !valid(message.content_type)) return MOSQ_ERR_MALFORMED_UTF8;
  // Only the names: libmosquitto 2.0.11 checks a user property's value against a length of 0.
  for (const auto& property : message.user_properties) {
    if (!valid(property.first)) return MOSQ_ERR_MALFORMED_UTF8;
  }
  return MOSQ_ERR_SUCCESS;
}

void read_publish_properties(const mosquitto_property* properties, Message& message) {
  for (const mosquitto_property* p = properties; p != nullptr; p = mosquitto_property_next(p)) {
    switch (mosquitto_property_identifier(p)) {
      case MQTT_PROP_USER_PROPERTY: {
        char* key = nullptr;
        char* value = nullptr;
        if (mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &key, &value, false)) {
          message.user_properties.emplace_back(key, value);
        }
        std::free(key);
        std::free(value);
        break;
      }
      case MQTT_PROP_CONTENT_TYPE: {
        char* type = nullptr;
        if (mosquitto_property_read_string(p, MQTT_PROP_CONTENT_TYPE, &type, false)) message.content_type = type;
        std::free(type);
        break;
      }
      case MQTT_PROP_MESSAGE_EXPIRY_INTERVAL:
        mosquitto_property_read_int32(p, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &message.expiry_s, false);
        break;
      default: break;
    }
  }
}

}  // namespace edgenode::bus
