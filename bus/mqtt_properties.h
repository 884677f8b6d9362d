// MQTT 5 properties of a Message, to and from libmosquitto's property lists.
#pragma once

#include <mosquitto.h>

#include "bus/message.h"

namespace edgenode::bus {

// Owns a libmosquitto property list.
class PropertyList {
 public:
  PropertyList() = default;
  ~PropertyList() { mosquitto_property_free_all(&head_); }
  PropertyList(const PropertyList&) = delete;
  PropertyList& operator=(const PropertyList&) = delete;
  mosquitto_property** out() { return &head_; }
  const mosquitto_property* get() const { return head_; }

 private:
  mosquitto_property* head_ = nullptr;
};

// Content type, message expiry and user properties of an outgoing message; returns a
// libmosquitto error code (MOSQ_ERR_SUCCESS when all were added).
int add_publish_properties(const Message& message, PropertyList& list);
// The checks add_publish_properties makes (UTF-8, length), without building the list:
// MOSQ_ERR_SUCCESS when it will succeed (short of running out of memory).
int check_publish_properties(const Message& message);

// Fills content_type, expiry_s and user_properties from an incoming message's properties.
void read_publish_properties(const mosquitto_property* properties, Message& message);

}  // namespace edgenode::bus
