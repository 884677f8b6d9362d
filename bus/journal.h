// Journal: the durable inbox/outbox of a node (SQLite in WAL mode, one file per node).
//
// The life of a QoS >= 1 input:
//   record_input(message)            inside the bus's message handler, before it returns
//                                    (the broker gets its PUBACK only afterwards); durable
//                                    against a process crash once this returns
//   add_output(input, pipeline, n, m) for every output the pipelines produce
//   finish_input(input)              once every pipeline is through with the input
//   output_acked(output)             for every PUBACK/PUBCOMP; the input is done (its row
//                                    deleted) when it is finished and its last output is acked
// A broker resends an input whose PUBACK it never got when the session resumes (after a
// broker or node crash); redelivered_input(message), asked before record_input, names the
// input already journaled for it, so it never gets a second id (see bus/README.md,
// "Redeliveries").
// On start, pending_inputs() returns the inputs that were never finished, in arrival
// order, for replay before new input; their re-created outputs keep the same stable ids,
// so add_output ignores the ones already stored. Outputs of finished inputs are still in
// the outbox and are simply sent again.
//
// Outbox: outputs wait here, per bus and in order, until acked (store-and-forward while
// a bus is down). Expired outputs (MQTT message expiry) are dropped when read. A quota in
// messages and bytes applies with a policy: drop_oldest (counted) or block (add_output
// fails with ErrorKind::unavailable; the caller stops consuming input until acks free
// space).
//
// Durability: WAL with synchronous=NORMAL survives a process crash (kill -9); set
// sync_full for power-loss safety at the cost of one fsync per commit.
// Thread-safe: one connection behind a mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "bus/message.h"

struct sqlite3;

namespace edgenode::bus {

class SqliteStatement;

struct JournalOptions {
  enum class OnFull { drop_oldest, block };

  std::string path;
  uint64_t outbox_max_messages = 100000;
  uint64_t outbox_max_bytes = 256ull << 20;
  OnFull on_full = OnFull::drop_oldest;
  bool sync_full = false;
  // A redelivery is matched only against this many of a bus's latest inputs before the
  // connection it arrives on: at least the receive maximum the buses announce (MqttBus:
  // 1024), since a broker has no more than that unacknowledged.
  uint64_t redelivery_span = 1024;
  // Unix milliseconds; tests pin it.
  std::function<int64_t()> clock;
};

struct OutboxEntry {
  int64_t id = 0;         // outbox row: the order outputs are sent in
  int64_t input_id = 0;   // inbox row it came from, 0 for none (e.g. telemetry)
  std::string output_id;  // stable id, also in the "output_id" user property
  Message message;        // message.bus names the bus to publish on; expiry_s is what is left
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0: never
};

struct JournalStats {
  uint64_t inputs_recorded = 0;   // since open
  uint64_t inputs_done = 0;       // since open
  uint64_t inputs_redelivered = 0;  // broker redeliveries of inputs already journaled, since open
  uint64_t inputs_reopened = 0;     // of those, inputs that were done and are processed again
  uint64_t inbox_open = 0;        // inputs not yet done (pending or waiting for acks)
  uint64_t outbox_messages = 0;
  uint64_t outbox_bytes = 0;
  uint64_t outbox_dropped = 0;    // drop_oldest victims since open
  uint64_t outbox_expired = 0;    // since open
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> open(JournalOptions options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // "<input_id>/<pipeline>/<seq>": the same input, pipeline and output index always give
  // the same id, so consumers can drop duplicates.
  static std::string stable_output_id(int64_t input_id, std::string_view pipeline, int seq);

  // ---- inbox ----
  struct Redelivery {
    int64_t input_id = 0;
    // False: the input is still pending; drop the message. True: it was done and is
    // pending again under the same id; process it once more. A broker that resends an
    // input whose ack it had received lost state in a crash, and may have lost the outputs
    // it acknowledged after its last save too: they are produced again, with the same
    // output ids, so consumers drop them if they had them.
    bool reopened = false;
  };
  // When `message` is the broker's redelivery of an input already journaled (same bus,
  // packet id, topic and payload, resent first on a resumed session), that input. Nothing
  // otherwise, and for a message without a Delivery (ZeroMQ, QoS 0). Call it for every
  // QoS >= 1 input of a bus, in arrival order, before record_input.
  Result<std::optional<Redelivery>> redelivered_input(const Message& message);
  // Stores the input; returns its journal id (also the order of arrival).
  Result<int64_t> record_input(const Message& message);
  // Inputs never finished, oldest first, with journal_id set.
  Result<std::vector<Message>> pending_inputs();
  // One journaled input by id (with journal_id set), nothing when it is done already.
  // Lets a caller keep only the ids of inputs it cannot take yet (parked inputs).
  Result<std::optional<Message>> input(int64_t input_id);
  // Every pipeline has produced its outputs (or none) for this input.
  Result<void> finish_input(int64_t input_id);

  // ---- outbox ----
  // Stores an output of input_id (0: none) under its stable id and applies the quota.
  // An output whose id is already stored (a replayed input) is returned as stored.
  Result<OutboxEntry> add_output(int64_t input_id, std::string_view pipeline, int seq, const Message& message);
  // Up to `limit` outputs for `bus` with id > after_id, oldest first; expired ones are
  // deleted (and counted) on the way.
  Result<std::vector<OutboxEntry>> outputs_for_bus(const std::string& bus, int64_t after_id, std::size_t limit);
  // The broker acknowledged this output; an unknown id (dropped, or acked twice) is fine.
  Result<void> output_acked(int64_t outbox_id);
  // The same for many outputs, in one transaction (cheaper under load).
  Result<void> outputs_acked(const std::vector<int64_t>& outbox_ids);
  // True when the block policy would refuse the next output.
  bool outbox_full() const;

  // Returns space freed by done rows to the file system (WAL checkpoint + incremental
  // vacuum); call from time to time, e.g. with telemetry.
  Result<void> compact();
  JournalStats stats() const;

 private:
  explicit Journal(JournalOptions options);
  Result<void> initialise();
  Result<void> exec(const char* sql);
  // The cached prepared statement for sql (a string literal), reset. Lock held.
  Result<SqliteStatement*> statement(const char* sql);
  // Re-reads the counters after a rolled-back transaction. Lock held.
  void reload_counters();
  template <class F>
  Result<void> in_transaction(F&& body);
  int64_t now_ms() const;
  // Deletes the input row when it is finished and has no outputs left. Lock held.
  Result<void> complete_if_done(int64_t input_id);
  // Makes room for `bytes` more under the quota. Lock held.
  Result<void> apply_quota(uint64_t bytes);
  Result<void> delete_output(int64_t outbox_id, int64_t input_id, uint64_t size);
  Error sqlite_error(std::string_view what) const;
  // Redelivery matching of one bus: opened by the first input of each connection.
  struct RedeliveryWindow {
    uint64_t connection = 0;     // Delivery::connection the window belongs to
    bool open = false;           // every input of this connection so far was a redelivery
    int64_t floor_id = 0;        // the oldest input that may still be redelivered
    int64_t last_before_id = 0;  // the bus's last input before this connection
    int64_t last_matched_id = 0; // redeliveries come in their original order
  };
  // The window of message's bus, reset when message starts a new connection. Lock held.
  Result<RedeliveryWindow*> window_for(const Message& message);

  JournalOptions options_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> statements_;
  mutable std::mutex mutex_;
  JournalStats stats_;
  std::unordered_map<std::string, RedeliveryWindow> windows_;  // by bus
};

}  // namespace edgenode::bus
