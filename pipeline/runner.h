// Runs pipelines: each has a bounded queue with its on_full policy and is drained on a
// small shared pool. A pipeline runs its messages one at a time in arrival order, except
// an infer pipeline without a window (PipelineSettings::concurrency > 1): it runs up to its
// model's max_sequences messages of different topics at once, so they share the model's
// batch, and runs the messages of one topic one at a time in arrival order. Order per
// topic is preserved either way; different pipelines run in parallel. A stage failure
// becomes a dead-letter; nothing a message contains can stop the runner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bus/message.h"
#include "bus/raw_archive.h"
#include "pipeline/deadletter.h"
#include "pipeline/latency_histogram.h"
#include "pipeline/pipeline.h"
#include "pipeline/router.h"
#include "pipeline/task_pool.h"

namespace edgenode::pipeline {

enum class OutboundKind { output, deadletter };

// Which input an output belongs to: a journaled input's id (0 when not journaled), the
// pipeline, and the output's index among that pipeline's outputs for the input. Together
// they give the output its stable id.
struct OutputOrigin {
  int64_t input_id = 0;
  std::string_view pipeline;
  int seq = 0;
};

// Where results and dead-letters go: the buses when running, stdout in a dry run.
// Called from the runner's threads, possibly several at once.
class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual void publish(bus::Message&& message, OutboundKind kind) = 0;
  // An output of a known input. Returns false when it could not be kept (the node is
  // stopping while a full outbox blocks): the input then stays pending for replay.
  virtual bool publish_output(bus::Message&& message, OutboundKind kind, const OutputOrigin&) {
    publish(std::move(message), kind);
    return true;
  }
  // Every pipeline the journaled input `input_id` fed is through with it.
  virtual void input_finished(int64_t /*input_id*/) {}
};

struct RunnerOptions {
  // Pool threads for the pipelines; a pipeline running several messages at once adds
  // one for each beyond the first (its infer stages wait on the model meanwhile).
  int workers = 2;
  DeadLetterTarget deadletters;
  bool any_bus = false;  // route by topic only (dry run)
  // A pipeline without an infer or window stage runs a message on the thread that
  // submits it (the bus's network thread) when none of its messages waits or runs, instead
  // of handing it to the pool: no queue, no wake-up of a worker, and the message's memory
  // is freed on the thread that allocated it. Such a pipeline takes microseconds; while
  // it runs, the bus reads nothing more, which is the backpressure `block` gives too.
  // Only for a Publisher that never waits (BusPublisher): a journal's outbox may wait for
  // acks that this very thread would have to read.
  bool inline_light_pipelines = false;
  // node.archive, when set: raw payloads kept on disk as each pipeline's `archive:` says.
  bus::RawArchive* archive = nullptr;
  // Reads a journaled input back by id; nothing when it is gone. When set, a journaled
  // input that finds a queue full under on_full: block (or any replayed one that finds it
  // full) is parked instead of waited for: the queue keeps only its id, and the input is
  // read back and queued, in arrival order, as room returns. Newer inputs of that
  // pipeline are parked behind it. So a bus's thread never waits in submit() for a
  // journaled input, and can keep reading the acks that free the outbox.
  std::function<std::optional<bus::Message>(int64_t input_id)> load_input;
  // Called, outside the runner's locks, when a bus got its first parked input or has
  // none left; has_parked(bus) tells which (the node stops reading that bus meanwhile).
  std::function<void(const std::string& bus)> on_parked_changed;
};

struct PipelineCounters {
  uint64_t in = 0, out = 0, filtered = 0, held = 0, dropped = 0, deadlettered = 0;
  uint64_t parked = 0;       // journaled inputs parked since start (RunnerOptions::load_input)
  size_t parked_depth = 0;   // parked inputs waiting now
  uint64_t tokens_in = 0, tokens_out = 0;
  double generate_ms = 0;
  size_t queue_depth = 0;
  LatencyHistogram::Counts latency{};
};

class Runner {
 public:
  Runner(std::vector<std::unique_ptr<Pipeline>> pipelines, Publisher& publisher, RunnerOptions options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Queues `message` on every pipeline it feeds; returns how many. With on_full: block
  // this waits for room (which is how a bus's reading stops under backpressure), except
  // for a journaled input when RunnerOptions::load_input is set: that one is parked.
  // Taken by value: a caller that moves its message in spares the copy for the last
  // pipeline.
  size_t submit(bus::Message message);
  // Queues an input replayed from the journal: waits for room (or is parked, see
  // RunnerOptions::load_input) whatever the on_full policy, since the input was accepted
  // once already.
  size_t replay(bus::Message message);
  // Whether a pipeline reading `bus` has parked inputs.
  bool has_parked(const std::string& bus) const;
  // Stops taking messages and waits until the queues are empty or `deadline` passes;
  // returns how many messages were still queued or running then (a running drain task
  // counts as one).
  size_t drain(std::chrono::milliseconds deadline);
  // Waits until every queue is empty and nothing is running.
  void wait_idle();

  const std::vector<std::unique_ptr<Pipeline>>& pipelines() const { return pipelines_; }
  std::vector<PipelineCounters> counters() const;

 private:
  struct Lane;
  size_t enqueue(bus::Message&& message, bool replayed);
  // Parks a journaled input on a lane that is full or has parked inputs already; false
  // when it is not to be parked. Lane lock held; `first` tells the caller to report it.
  bool park(Lane& lane, int64_t input_id, bool replayed, bool& first);
  // Hands an input's raw payload to options_.archive (set) with its hash (stage and reason
  // empty when it did not fail).
  void archive(const Lane& lane, const bus::Message& input, std::string payload_sha256, std::string_view stage,
               std::string_view reason);
  // Queues parked inputs while there is room and the runner is accepting. Lane lock held;
  // fills `gone` with the ids that could not be read back.
  void feed_parked(Lane& lane, std::vector<int64_t>& gone);
  // Runs one message of a lane the caller holds (active set to 1, nothing queued), then
  // releases the lane or, if messages were queued meanwhile, hands it to a drain task.
  void run_inline(Lane& lane, bus::Message&& message, std::chrono::steady_clock::time_point started);
  void schedule(Lane& lane);
  void drain_lane(Lane& lane);
  void process(Lane& lane, Envelope& envelope);
  // Returns false when the dead-letter could not be kept (see Publisher::publish_output).
  bool deadletter(Lane& lane, const bus::Message& input, std::string_view stage, std::string_view reason);
  // One lane is through with a journaled input; the last one reports it finished.
  void lane_done(int64_t input_id);
  size_t pending() const;

  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  Publisher& publisher_;
  RunnerOptions options_;
  Router router_;
  std::atomic<bool> accepting_{true};
  std::mutex open_inputs_mutex_;
  std::unordered_map<int64_t, size_t> open_inputs_;  // journaled input → lanes not through with it
  mutable std::mutex idle_mutex_;
  std::condition_variable idle_;
  std::unique_ptr<TaskPool> pool_;  // last: its threads stop before the lanes go
};

}  // namespace edgenode::pipeline
