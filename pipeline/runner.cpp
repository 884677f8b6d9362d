#include "pipeline/runner.h"

#include <exception>

#include <spdlog/spdlog.h>

namespace edgenode::pipeline {

namespace {
// Messages one drain task runs before yielding the thread to other pipelines.
constexpr int kBatch = 64;

std::vector<const Pipeline*> views(const std::vector<std::unique_ptr<Pipeline>>& pipelines) {
  std::vector<const Pipeline*> out;
  for (const auto& p : pipelines) out.push_back(p.get());
  return out;
}
}  // namespace

struct Runner::Lane {
  Pipeline* pipeline = nullptr;
  std::mutex mutex;
  std::condition_variable not_full;
  std::deque<Envelope> queue;
  bool scheduled = false;  // a drain task is queued or running
  std::atomic<uint64_t> in{0}, out{0}, filtered{0}, held{0}, dropped{0}, deadlettered{0};
  std::atomic<uint64_t> tokens_in{0}, tokens_out{0}, generate_us{0};
  LatencyHistogram latency;
};

Runner::Runner(std::vector<std::unique_ptr<Pipeline>> pipelines, Publisher& publisher, RunnerOptions options)
    : pipelines_(std::move(pipelines)), publisher_(publisher), options_(std::move(options)),
      router_(views(pipelines_), options_.any_bus) {
  for (auto& p : pipelines_) {
    auto lane = std::make_unique<Lane>();
    lane->pipeline = p.get();
    lanes_.push_back(std::move(lane));
  }
  pool_ = std::make_unique<TaskPool>(options_.workers);
}

Runner::~Runner() {
  accepting_ = false;
  for (auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    lane->not_full.notify_all();
  }
  pool_.reset();
}

size_t Runner::submit(const bus::Message& message) {
  thread_local std::vector<size_t> targets;
  router_.route(message, targets);
  const auto now = std::chrono::steady_clock::now();
  for (size_t index : targets) {
    Lane& lane = *lanes_[index];
    lane.in.fetch_add(1, std::memory_order_relaxed);
    const PipelineSettings& settings = lane.pipeline->settings();
    std::unique_lock lock(lane.mutex);
    if (lane.queue.size() >= settings.queue_max) {
      if (settings.on_full == OnFull::block) {
        lane.not_full.wait(lock, [&] { return lane.queue.size() < settings.queue_max || !accepting_; });
        if (!accepting_) {
          lane.dropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
      } else if (settings.on_full == OnFull::drop_oldest) {
        lane.queue.pop_front();
        lane.dropped.fetch_add(1, std::memory_order_relaxed);
      } else {
        lock.unlock();
        deadletter(lane, message, "queue", "queue full (" + std::to_string(settings.queue_max) + " messages)");
        continue;
      }
    }
    Envelope envelope;
    envelope.input = message;
    envelope.started = now;
    lane.queue.push_back(std::move(envelope));
    if (!lane.scheduled) {
      lane.scheduled = true;
      lock.unlock();
      schedule(lane);
    }
  }
  return targets.size();
}

void Runner::schedule(Lane& lane) {
  pool_->post([this, &lane] { drain_lane(lane); });
}

void Runner::drain_lane(Lane& lane) {
  for (int i = 0; i < kBatch; ++i) {
    Envelope envelope;
    bool finished = false;
    {
      std::lock_guard lock(lane.mutex);
      if (lane.queue.empty()) {
        lane.scheduled = false;
        finished = true;
      } else {
        envelope = std::move(lane.queue.front());
        lane.queue.pop_front();
        lane.not_full.notify_one();
      }
    }
    if (finished) {
      // Lane lock released first: waiters take the idle lock, then lane locks.
      std::lock_guard idle_lock(idle_mutex_);
      idle_.notify_all();
      return;
    }
    process(lane, envelope);
  }
  schedule(lane);  // more waiting: requeue behind other pipelines' work
}

void Runner::process(Lane& lane, Envelope& envelope) {
  PipelineOutcome outcome;
  try {
    outcome = lane.pipeline->run(envelope);
  } catch (const std::exception& e) {
    outcome = {StageStatus::failed, "pipeline", std::string("internal error: ") + e.what()};
  }
  lane.tokens_in.fetch_add(static_cast<uint64_t>(envelope.tokens_in), std::memory_order_relaxed);
  lane.tokens_out.fetch_add(static_cast<uint64_t>(envelope.tokens_out), std::memory_order_relaxed);
  lane.generate_us.fetch_add(static_cast<uint64_t>(envelope.generate_ms * 1000), std::memory_order_relaxed);
  switch (outcome.status) {
    case StageStatus::next:
      for (auto& message : envelope.outputs) publisher_.publish(std::move(message), OutboundKind::output);
      lane.out.fetch_add(1, std::memory_order_relaxed);
      lane.latency.record(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - envelope.started).count());
      break;
    case StageStatus::filtered:
      lane.filtered.fetch_add(1, std::memory_order_relaxed);
      break;
    case StageStatus::held:
      lane.held.fetch_add(1, std::memory_order_relaxed);
      break;
    case StageStatus::failed:
      deadletter(lane, envelope.input, outcome.stage, outcome.reason);
      break;
  }
}

void Runner::deadletter(Lane& lane, const bus::Message& input, std::string_view stage, std::string_view reason) {
  lane.deadlettered.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("deadletter pipeline={} stage={} topic={} size={} reason=\"{}\"", lane.pipeline->name(), stage,
               input.topic, input.payload.size(), reason);
  publisher_.publish(make_deadletter(lane.pipeline->settings(), input, stage, reason, options_.deadletters),
                     OutboundKind::deadletter);
}

size_t Runner::pending() const {
  size_t n = 0;
  for (const auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    n += lane->queue.size() + (lane->scheduled ? 1 : 0);
  }
  return n;
}

size_t Runner::drain(std::chrono::milliseconds deadline) {
  accepting_ = false;
  for (auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    lane->not_full.notify_all();
  }
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::unique_lock lock(idle_mutex_);
  while (pending() > 0) {
    if (idle_.wait_until(lock, until) == std::cv_status::timeout) break;
  }
  // pending() counts a running drain task as one; report queued messages plus those.
  return pending();
}

void Runner::wait_idle() {
  std::unique_lock lock(idle_mutex_);
  idle_.wait(lock, [&] { return pending() == 0; });
}

std::vector<PipelineCounters> Runner::counters() const {
  std::vector<PipelineCounters> out;
  for (const auto& lane : lanes_) {
    PipelineCounters c;
    c.in = lane->in.load(std::memory_order_relaxed);
    c.out = lane->out.load(std::memory_order_relaxed);
    c.filtered = lane->filtered.load(std::memory_order_relaxed);
    c.held = lane->held.load(std::memory_order_relaxed);
    c.dropped = lane->dropped.load(std::memory_order_relaxed);
    c.deadlettered = lane->deadlettered.load(std::memory_order_relaxed);
    c.tokens_in = lane->tokens_in.load(std::memory_order_relaxed);
    c.tokens_out = lane->tokens_out.load(std::memory_order_relaxed);
    c.generate_ms = static_cast<double>(lane->generate_us.load(std::memory_order_relaxed)) / 1000.0;
    {
      std::lock_guard lock(lane->mutex);
      c.queue_depth = lane->queue.size();
    }
    c.latency = lane->latency.snapshot();
    out.push_back(c);
  }
  return out;
}

}  // namespace edgenode::pipeline
