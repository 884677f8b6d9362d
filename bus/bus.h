// A named connection to a broker or socket that delivers and publishes Messages.
// Implementations: MqttBus (libmosquitto, MQTT 5) and ZmqBus (SUB/PULL in, PUB/PUSH out).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "bus/message.h"

namespace edgenode::bus {

struct BusStats {
  uint64_t received = 0;
  uint64_t published = 0;
  uint64_t acked = 0;
  uint64_t reconnects = 0;
  bool connected = false;
};

// Called on the transport's thread for every message delivered. For a QoS >= 1 MQTT
// message the broker is acknowledged only after this returns, so whatever must be
// durable before the ack (the journal inbox) happens inside the handler.
using MessageHandler = std::function<void(Message&&)>;
// Called when a publish is acknowledged by the broker (QoS >= 1) or sent (QoS 0).
using AckHandler = std::function<void(uint64_t publish_token)>;
using ConnectionHandler = std::function<void(bool connected)>;

class Bus {
 public:
  virtual ~Bus() = default;
  virtual const std::string& name() const = 0;

  virtual void on_message(MessageHandler handler) = 0;
  virtual void on_ack(AckHandler handler) = 0;
  virtual void on_connection(ConnectionHandler handler) = 0;

  // Subscriptions are remembered and renewed after every reconnect.
  virtual Result<void> subscribe(const std::string& filter, int qos) = 0;
  // Starts the network thread; connection failures are retried with backoff, except
  // refusals that cannot succeed later (bad credentials), which are returned.
  virtual Result<void> start() = 0;
  virtual void stop() = 0;
  // Stops delivering new messages (backpressure) without disconnecting; resume() undoes it.
  virtual void pause_input() = 0;
  virtual void resume_input() = 0;

  // Queues a publish; returns a token that on_ack reports. Fails fast when disconnected
  // (the caller keeps the message in its outbox).
  virtual Result<uint64_t> publish(const Message& message) = 0;
  // The same, taking the message over when it is accepted (a failed publish leaves it as
  // it was); transports that queue messages save a copy with it.
  virtual Result<uint64_t> publish(Message&& message) { return publish(static_cast<const Message&>(message)); }

  virtual BusStats stats() const = 0;
};

}  // namespace edgenode::bus
