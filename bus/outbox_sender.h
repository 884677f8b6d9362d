// OutboxSender: drains a Journal's outbox onto one Bus, in order, and deletes each
// output when the broker acknowledges it (store-and-forward).
//
// While the bus is down, outputs simply stay in the journal. After every (re)connect
// the sender starts again from the oldest unacknowledged output, so an output whose
// ack was lost with the connection is sent again; consumers see duplicates (with the
// same output_id) only for what was in flight. At most `max_in_flight` outputs wait for
// acks at any time, which bounds memory here and in libmosquitto; an ack counts against
// that window until it is recorded in the journal, so after a crash at most
// `max_in_flight` outputs that had been sent are sent again.
//
// The sender owns the bus's on_ack and on_connection handlers; create it before the
// bus starts, and stop the bus before the sender is destroyed (the handlers point here). Call notify() after adding outputs for this bus to send them at once
// (otherwise they go within `idle_poll`). Acks are recorded in the journal by the
// sender's thread in batches, which keeps the bus's network thread free for input.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "bus/bus.h"
#include "bus/journal.h"

namespace edgenode::bus {

struct OutboxSenderOptions {
  std::size_t max_in_flight = 256;
  std::chrono::milliseconds idle_poll{200};  // also how often expiry is checked
  // Called on the sender's thread after acks were recorded (outbox room freed), e.g. to
  // wake writers waiting for room under the block policy.
  std::function<void()> on_acks_recorded;
};

struct OutboxSenderStats {
  uint64_t sent = 0;
  uint64_t acked = 0;
  uint64_t refused = 0;   // outputs the bus rejected as invalid; dropped with an error log
  std::size_t in_flight = 0;
};

class OutboxSender {
 public:
  OutboxSender(Journal& journal, Bus& bus, OutboxSenderOptions options = {});
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  void start();
  void stop();
  void notify();
  OutboxSenderStats stats() const;

 private:
  void run();
  void handle_ack(uint64_t token);
  void handle_connection(bool up);
  // Publishes the next outputs after cursor_; false when the bus could not take more.
  bool send_batch();
  // Records the acks collected so far in one journal transaction.
  void record_acks();
  // Outputs sent whose acks are not in the journal yet. Lock held.
  std::size_t window_used() const { return in_flight_.size() + acks_unrecorded_; }

  Journal& journal_;
  Bus& bus_;
  OutboxSenderOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, int64_t> in_flight_;  // publish token → outbox id
  std::vector<int64_t> acked_;              // outbox ids acked, not yet taken for recording
  std::size_t acks_unrecorded_ = 0;         // acks not yet committed to the journal (acked_ and the batch being recorded)
  int64_t cursor_ = 0;                      // last outbox id handed to the bus
  bool connected_ = false;
  bool pending_work_ = true;
  bool stopping_ = false;
  OutboxSenderStats stats_;
  std::thread thread_;
};

}  // namespace edgenode::bus
