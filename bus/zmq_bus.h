// ZmqBus: ZeroMQ transport with the same Message envelope as MQTT.
//
// Wire format, one multipart message per Message: [topic, payload] plus an optional
// third frame of JSON metadata {"content_type": "...", "user_properties": [[k, v], ...]}
// (sent only when there is something to carry). A PULL input also accepts a lone
// payload frame, delivered on `pull_topic`.
//
// Input: SUB subscribes to the literal prefix of each filter, then matches the topic
// frame exactly per MQTT rules; PULL delivers what matches any filter (everything when
// there are none). Output: PUB (never blocks; drops when a peer's queue is full, as
// PUB/SUB does) or PUSH (publish() fails fast when no peer can take the message).
//
// Threading: one thread owns the input socket and runs the handlers; it also reports
// acks (a ZeroMQ send is "acked" once handed to the socket). publish() may be called
// from any thread. pause_input() stops reading (from another thread it returns once
// the bus thread has stopped); the socket's high-water mark then
// pushes back (PUSH peers wait, PUB peers drop).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/bus.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace edgenode::bus {

struct ZmqOptions {
  enum class Input { none, sub, pull };
  enum class Output { none, pub, push };

  std::string name = "zmq";
  Input input = Input::none;
  std::string input_endpoint;   // tcp://host:port or ipc://path
  bool input_bind = false;      // bind instead of connect
  Output output = Output::none;
  std::string output_endpoint;  // tcp://host:port (port "*" picks a free one) or ipc://path
  bool output_bind = true;
  int high_water_mark = 10000;  // messages queued per socket before push-back
  std::string pull_topic = "zmq";
};

class ZmqBus final : public Bus {
 public:
  // Checks the options and creates, binds or connects the sockets.
  static Result<std::unique_ptr<ZmqBus>> create(ZmqOptions options);
  ~ZmqBus() override;

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
  BusStats stats() const override;

  // The endpoint actually bound (a "*" port resolved), for peers to connect to.
  std::string input_endpoint() const { return bound_input_; }
  std::string output_endpoint() const { return bound_output_; }

 private:
  explicit ZmqBus(ZmqOptions options);
  Result<void> open_sockets();
  void run();
  void apply_pending_subscriptions();
  void receive_available();
  void deliver_acks();

  ZmqOptions options_;
  MessageHandler message_handler_;
  AckHandler ack_handler_;
  ConnectionHandler connection_handler_;
  std::string bound_input_, bound_output_, wake_endpoint_;

  std::unique_ptr<zmq::socket_t> input_;   // owned by the bus thread once started
  std::unique_ptr<zmq::socket_t> wake_rx_;  // bus thread side of the wake-up pair

  mutable std::mutex mutex_;  // guards the output socket, wake_tx_ and the fields below
  std::unique_ptr<zmq::socket_t> output_;
  std::unique_ptr<zmq::socket_t> wake_tx_;
  std::vector<std::string> filters_;          // MQTT filters the input matches
  std::vector<std::string> new_sub_prefixes_;  // SUB prefixes still to set on the socket
  std::deque<uint64_t> acks_to_report_;
  uint64_t next_token_ = 1;
  bool paused_ = false;
  bool pause_seen_ = false;  // the bus thread has seen paused_ and stopped reading
  std::condition_variable pause_seen_changed_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;

  std::atomic<uint64_t> received_{0}, published_{0}, acked_{0};
};

}  // namespace edgenode::bus
