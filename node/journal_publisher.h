// The node's durable path for messages (when node.journal is set): QoS >= 1 inputs are
// recorded in the journal's inbox before the bus acknowledges them, every output and
// dead-letter waits in the outbox, and one OutboxSender per bus publishes it in order and
// records the broker's acks. An input is done once the runner is through with it and its
// outputs are acked; what is not done at a crash or a stop is replayed at the next start.
//
// Outbox full under the `block` policy: the runner thread that adds the output waits for
// room, and input stops on every bus but the ones the waiting outputs are for (those must
// keep reading, since their acks are what frees the room): outbox_blocked() and
// outbox_waits_on() say so, and the listener set with on_blocked_changed() is told when
// that changes (the node's InputGate pauses and resumes the buses). Input resumes once
// there is room.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "bus/bus.h"
#include "bus/journal.h"
#include "bus/outbox_sender.h"
#include "pipeline/node_settings.h"
#include "pipeline/runner.h"

namespace edgenode::node {

class JournalPublisher final : public pipeline::Publisher {
 public:
  // Opens (or creates) the journal at settings.journal and attaches a sender to every
  // bus; the buses must not be started yet (the senders take their ack handlers).
  static Result<std::unique_ptr<JournalPublisher>> open(const pipeline::NodeSettings& settings,
                                                        const std::map<std::string, std::unique_ptr<bus::Bus>>& buses);
  ~JournalPublisher() override;

  void start_senders();
  enum class InputRecord {
    recorded,    // journaled (or a done input reopened by a broker's resend), journal_id set: process it
    redelivery,  // the broker resent an input still pending: drop it
    failed,      // the journal cannot take it (logged): process it unjournaled
  };
  // Records a QoS >= 1 input and sets its journal_id; call inside the bus's message
  // handler, for every QoS >= 1 input in arrival order.
  InputRecord record_input(bus::Message& message);
  // Inputs a previous run did not finish, oldest first.
  std::vector<bus::Message> pending_inputs();
  // One journaled input not yet done (a parked one, read back when its queue has room).
  std::optional<bus::Message> input(int64_t input_id);

  // Called (outside any lock here) when outbox_blocked() or outbox_waits_on() may have
  // changed. Set before the runner starts.
  void on_blocked_changed(std::function<void()> listener) { blocked_listener_ = std::move(listener); }
  // A runner thread waits for outbox room.
  bool outbox_blocked() const;
  // A runner thread waits for outbox room for an output to `bus`: that bus's acks are needed.
  bool outbox_waits_on(const std::string& bus) const;

  // Outputs that belong to no input (status); kept in the outbox like the others.
  void publish(bus::Message&& message, pipeline::OutboundKind kind) override;
  bool publish_output(bus::Message&& message, pipeline::OutboundKind kind, const pipeline::OutputOrigin& origin) override;
  void input_finished(int64_t input_id) override;

  // Waits until `bus` has nothing left in the outbox, up to `timeout`.
  bool wait_until_sent(const std::string& bus, std::chrono::milliseconds timeout);
  // Waits until no connected bus has outputs left in the outbox, up to `until`.
  bool wait_until_flushed(std::chrono::steady_clock::time_point until);
  // Releases runner threads waiting for outbox room; their inputs stay pending.
  void stop_waiting();
  // Stops the senders (after the buses have stopped) and compacts the journal.
  void close();
  // Compacts when the last compaction is older than the interval.
  void compact_from_time_to_time();
  // {inbox_open, inputs_recorded, inputs_done, inputs_redelivered, inputs_reopened, outbox: {messages, bytes, dropped, expired,
  //  refused, blocked, blocked_total}, senders: {<bus>: {sent, acked, in_flight}}}
  nlohmann::json stats() const;

 private:
  JournalPublisher(std::unique_ptr<bus::Journal> journal,
                   const std::map<std::string, std::unique_ptr<bus::Bus>>& buses);
  void notify_sender(const std::string& bus);
  // A runner thread starts or stops waiting for room for an output to `bus`.
  void set_waiting(const std::string& bus, bool waiting);

  std::unique_ptr<bus::Journal> journal_;
  const std::map<std::string, std::unique_ptr<bus::Bus>>& buses_;
  std::map<std::string, std::unique_ptr<bus::OutboxSender>> senders_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, int> waiting_on_;  // bus -> runner threads waiting for room for it
  std::function<void()> blocked_listener_;
  uint64_t blocked_total_ = 0;   // times the outbox was full and input stopped
  uint64_t refused_ = 0;         // outputs the journal refused (larger than the quota)
  std::chrono::steady_clock::time_point last_compaction_ = std::chrono::steady_clock::now();
};

}  // namespace edgenode::node
