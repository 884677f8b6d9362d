// MqttBus: an MQTT 5 client over libmosquitto (2.0).
//
// Threading: one network thread per bus runs libmosquitto's network steps on its own
// poll() loop; handlers run on it. publish(), subscribe(), pause_input() and stats() may
// be called from any thread. Set the handlers before start(). on_ack may run before
// publish() has returned the token, so a caller that maps tokens to its own records must
// create the record under a lock that its ack handler also takes.
//
// Publishing: publish() checks the message, queues it and returns its token; the network
// thread hands everything queued to libmosquitto in one batch and writes it out. Only a
// network thread waiting in poll() is woken (one eventfd write), so under load a publish
// costs no system call and takes no libmosquitto lock on the caller's thread. A publish
// accepted while connected goes out on this or, after a reconnect, the next connection.
//
// Acks of inputs: libmosquitto 2.0.11 queues the PUBACK of a QoS 1 message just before
// calling the message handler, but in threaded mode only the network thread writes to
// the socket, and it is inside the handler; so the PUBACK reaches the broker only after
// the handler returns (lib/handle_publish.c, lib/packet_mosq.c packet__queue). A QoS 2
// message is handed over only after PUBREL, and libmosquitto keeps it in memory from
// its PUBREC until then: a node crash in that window loses it. Inputs that must
// survive a node crash should use QoS 1.
//
// start() returns once connected and the initial subscriptions are acknowledged (or
// after connect_timeout, retrying in the background).
//
// Reconnects: the network thread retries with ReconnectBackoff (jittered, exponential),
// renews every subscription on each connect, and counts reconnects. A refusal that
// cannot succeed later (bad user name or password, not authorized, banned, bad client
// id) or a failed TLS handshake on the first attempt makes start() return the error
// instead of retrying.
//
// Backpressure: pause_input() stops reading from the socket; acks and publishes still
// go out. Called from another thread it returns once the network thread has stopped
// reading; called from the message handler, the rest of the batch already read is
// still delivered. The backlog stays in the kernel socket buffer and in the broker's
// queue for this session, so memory here stays bounded. Replies to keepalive pings cannot be read
// while paused, so a pause longer than about one keepalive interval makes libmosquitto
// drop the connection; the bus then stays disconnected until resume_input() and
// reconnects, and a persistent session gets its QoS >= 1 backlog redelivered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bus/backoff.h"
#include "bus/bus.h"
#include "bus/mqtt_options.h"

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace edgenode::bus {

class MqttBus final : public Bus {
 public:
  // Checks the options (url, client id, TLS files); no network activity yet.
  static Result<std::unique_ptr<MqttBus>> create(MqttOptions options);
  ~MqttBus() override;

  const std::string& name() const override { return options_.name; }
  void on_message(MessageHandler handler) override { message_handler_ = std::move(handler); }
  void on_ack(AckHandler handler) override { ack_handler_ = std::move(handler); }
  void on_connection(ConnectionHandler handler) override { connection_handler_ = std::move(handler); }

  Result<void> subscribe(const std::string& filter, int qos) override;
  Result<void> start() override;
  void stop() override;
  void pause_input() override;
  void resume_input() override;
  Result<uint64_t> publish(const Message& message) override;
  Result<uint64_t> publish(Message&& message) override;
  BusStats stats() const override;

 private:
  struct Subscription {
    std::string filter;
    int qos;
  };
  // Outcome of the first connection attempt, reported to start().
  enum class FirstAttempt { pending, connected, failed_retrying, refused };

  MqttBus(MqttOptions options, BrokerAddress address, mosquitto* client);
  Result<void> configure_client();
  void run_network();
  // Runs the network loop (poll, read, send, keepalive) until the connection ends or stop() is called.
  void serve_connection();
  void wait_for_backoff(std::chrono::milliseconds delay);
  void report_first_attempt(FirstAttempt outcome, std::string reason = {});
  // start() returns once connected and every initial subscription is acknowledged.
  void report_connected_when_subscribed();
  // The first attempt failed with libmosquitto error rc: refused for TLS failures,
  // otherwise retried.
  void report_first_attempt_failure(int rc);
  void set_connected(bool connected);
  void subscribe_on_wire(const Subscription& subscription);
  // Wakes the network thread when it waits in poll(); cheap when it does not.
  void wake_network_thread();
  // Network thread: hands the queued publishes to libmosquitto (then they await writing).
  void send_queued_publishes();
  // Network thread: reads and handles up to a batch of packets; `more` is set when it
  // stopped at the batch bound rather than at an empty socket. Returns a libmosquitto code.
  int read_packets(bool& more);

  static void handle_connect(mosquitto*, void* self, int reason, int flags, const mqtt5__property* props);
  static void handle_log(mosquitto*, void* self, int level, const char* text);
  static void handle_disconnect(mosquitto*, void* self, int reason, const mqtt5__property* props);
  static void handle_message(mosquitto*, void* self, const mosquitto_message* msg, const mqtt5__property* props);
  static void handle_publish(mosquitto*, void* self, int mid, int reason, const mqtt5__property* props);
  static void handle_subscribe(mosquitto*, void* self, int mid, int count, const int* granted,
                               const mqtt5__property* props);

  MqttOptions options_;
  BrokerAddress address_;
  mosquitto* client_;
  MessageHandler message_handler_;
  AckHandler ack_handler_;
  ConnectionHandler connection_handler_;
  ReconnectBackoff backoff_;

  std::thread network_thread_;
  mutable std::mutex mutex_;  // guards the members below and wakes waits
  std::condition_variable wake_;
  std::vector<Subscription> subscriptions_;
  bool stopping_ = false;
  // paused_ and connected_ change under mutex_ (waits depend on them) but are atomic, so
  // publish() and the network thread's read loop look at them without taking the lock.
  std::atomic<bool> paused_{false};
  bool pause_seen_ = false;  // the network thread has seen paused_ and stopped reading
  std::thread::id network_thread_id_;
  std::map<int, std::string> pending_subacks_;  // SUBSCRIBE mid → filter
  std::atomic<bool> connected_{false};
  bool ever_connected_ = false;
  FirstAttempt first_attempt_ = FirstAttempt::pending;
  std::string first_attempt_reason_;
  std::string tls_error_;  // last OpenSSL error libmosquitto logged since the last connect

  // Network thread only: stamped on every input (Message::delivery).
  uint64_t connection_count_ = 0;
  bool session_resumed_ = false;

  // Publishes waiting for the network thread (see "Publishing" above).
  struct QueuedPublish;
  std::mutex queue_mutex_;
  std::vector<QueuedPublish> queued_;        // guarded by queue_mutex_
  std::vector<QueuedPublish> sending_;       // network thread: the batch being handed over
  std::atomic<bool> network_waiting_{false};  // the network thread is in (or entering) poll()
  int wake_fd_ = -1;                          // eventfd that ends that poll()
  std::atomic<uint64_t> next_token_{0};
  std::unordered_map<int, uint64_t> token_of_mid_;  // network thread: libmosquitto mid → token

  std::atomic<uint64_t> received_{0}, published_{0}, acked_{0}, reconnects_{0};
};

}  // namespace edgenode::bus
