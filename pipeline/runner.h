// Runs pipelines: each has a bounded queue with its on_full policy and is drained by one
// task at a time on a small shared pool, so messages of a pipeline run in arrival order
// (order per topic is preserved) while different pipelines run in parallel. A stage
// failure becomes a dead-letter; nothing a message contains can stop the runner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bus/message.h"
#include "pipeline/deadletter.h"
#include "pipeline/latency_histogram.h"
#include "pipeline/pipeline.h"
#include "pipeline/router.h"
#include "pipeline/task_pool.h"

namespace edgenode::pipeline {

enum class OutboundKind { output, deadletter };

// Where results and dead-letters go: the buses when running, stdout in a dry run.
// Called from the runner's threads, possibly several at once.
class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual void publish(bus::Message&& message, OutboundKind kind) = 0;
};

struct RunnerOptions {
  int workers = 2;
  DeadLetterTarget deadletters;
  bool any_bus = false;  // route by topic only (dry run)
};

struct PipelineCounters {
  uint64_t in = 0, out = 0, filtered = 0, held = 0, dropped = 0, deadlettered = 0;
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
  // this waits for room (which is how a bus's reading stops under backpressure).
  size_t submit(const bus::Message& message);
  // Stops taking messages and waits until the queues are empty or `deadline` passes;
  // returns how many messages were still queued or running then.
  size_t drain(std::chrono::milliseconds deadline);
  // Waits until every queue is empty and nothing is running.
  void wait_idle();

  const std::vector<std::unique_ptr<Pipeline>>& pipelines() const { return pipelines_; }
  std::vector<PipelineCounters> counters() const;

 private:
  struct Lane;
  void schedule(Lane& lane);
  void drain_lane(Lane& lane);
  void process(Lane& lane, Envelope& envelope);
  void deadletter(Lane& lane, const bus::Message& input, std::string_view stage, std::string_view reason);
  size_t pending() const;

  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  Publisher& publisher_;
  RunnerOptions options_;
  Router router_;
  std::atomic<bool> accepting_{true};
  mutable std::mutex idle_mutex_;
  std::condition_variable idle_;
  std::unique_ptr<TaskPool> pool_;  // last: its threads stop before the lanes go
};

}  // namespace edgenode::pipeline
