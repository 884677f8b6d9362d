#include "pipeline/runner.h"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "engine/model/sha256.h"

namespace edgenode::pipeline {

namespace {
// Messages one drain task runs before yielding the thread to other pipelines.
constexpr int kBatch = 64;

// A message waiting in a lane. Its envelope is made when it runs, on the thread that
// runs it: an envelope's JSON members allocate, and memory allocated on the bus's thread
// and freed on a worker defeats the allocator's per-thread caches.
struct QueuedInput {
  bus::Message input;
  std::chrono::steady_clock::time_point started;
};

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
  std::deque<QueuedInput> queue;
  std::deque<int64_t> parked;  // journaled inputs waiting for room, oldest first
  // Drain tasks queued or running, or 1 while a message runs inline. At most concurrency.
  int active = 0;
  // Drain tasks that may run messages at once (PipelineSettings::concurrency); each runs one
  // message at a time, and never one whose topic another is running.
  int concurrency = 1;
  std::vector<std::string> running_topics;  // only kept when concurrency > 1
  // The pipeline runs on the submitting thread when nothing of it waits or runs (see
  // RunnerOptions::inline_light_pipelines).
  bool runs_inline = false;
  std::atomic<uint64_t> in{0}, out{0}, filtered{0}, held{0}, dropped{0}, deadlettered{0}, parked_total{0};
  std::atomic<uint64_t> tokens_in{0}, tokens_out{0}, generate_us{0};
  LatencyHistogram latency;

  bool topic_running(const std::string& topic) const {
    return std::find(running_topics.begin(), running_topics.end(), topic) != running_topics.end();
  }
  // The oldest queued message whose topic is not running: per topic, messages run one at
  // a time in arrival order. With concurrency 1 nothing runs when a task looks, so the front.
  std::deque<QueuedInput>::iterator next_runnable() {
    if (running_topics.empty()) return queue.begin();
    return std::find_if(queue.begin(), queue.end(),
                        [&](const QueuedInput& q) { return !topic_running(q.input.topic); });
  }
};

Runner::Runner(std::vector<std::unique_ptr<Pipeline>> pipelines, Publisher& publisher, RunnerOptions options)
    : pipelines_(std::move(pipelines)), publisher_(publisher), options_(std::move(options)),
      router_(views(pipelines_), options_.any_bus) {
  // A drain task running an infer stage holds its thread while the model generates. A lane
  // that runs several messages at once gets a thread for each beyond the first, so that it
  // fills the model's batch and leaves the other pipelines the same workers as before.
  int threads = options_.workers;
  for (auto& p : pipelines_) {
    auto lane = std::make_unique<Lane>();
    lane->pipeline = p.get();
    lane->runs_inline = options_.inline_light_pipelines && !p->has_stage("infer") && !p->has_stage("window");
    lane->concurrency = std::max(1, p->settings().concurrency);
    threads += lane->concurrency - 1;
    lanes_.push_back(std::move(lane));
  }
  pool_ = std::make_unique<TaskPool>(threads);
}

Runner::~Runner() {
  accepting_ = false;
  for (auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    lane->not_full.notify_all();
  }
  pool_.reset();
}

size_t Runner::submit(bus::Message message) { return enqueue(std::move(message), false); }

size_t Runner::replay(bus::Message message) { return enqueue(std::move(message), true); }

size_t Runner::enqueue(bus::Message&& message, bool replayed) {
  thread_local std::vector<size_t> targets;
  router_.route(message, targets);
  const int64_t input_id = message.journal_id;
  if (input_id > 0) {
    if (targets.empty()) {
      publisher_.input_finished(input_id);
      return 0;
    }
    std::lock_guard lock(open_inputs_mutex_);
    open_inputs_[input_id] = targets.size();
  }
  const auto now = std::chrono::steady_clock::now();
  for (size_t t = 0; t < targets.size(); ++t) {
    Lane& lane = *lanes_[targets[t]];
    lane.in.fetch_add(1, std::memory_order_relaxed);
    const PipelineSettings& settings = lane.pipeline->settings();
    int64_t dropped_input = 0;
    std::unique_lock lock(lane.mutex);
    bool first_parked = false;
    if (park(lane, input_id, replayed, first_parked)) {
      lock.unlock();
      if (first_parked) {
        // Debug: under steady backpressure this happens once per message run.
        spdlog::debug("input_parked pipeline={} bus={} input={}", lane.pipeline->name(), settings.bus, input_id);
        if (options_.on_parked_changed) options_.on_parked_changed(settings.bus);
      }
      continue;
    }
    if (lane.runs_inline && lane.queue.empty() && lane.active == 0) {
      lane.active = 1;  // holds the lane: a message submitted meanwhile queues behind this one
      lock.unlock();
      run_inline(lane, t + 1 == targets.size() ? std::move(message) : bus::Message(message), now);
      continue;
    }
    if (lane.queue.size() >= settings.queue_max) {
      if (settings.on_full == OnFull::block || replayed) {
        lane.not_full.wait(lock, [&] { return lane.queue.size() < settings.queue_max || !accepting_; });
        if (!accepting_) {
          // Stopping: a journaled input stays pending and is replayed at the next start.
          lane.dropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
      } else if (settings.on_full == OnFull::drop_oldest) {
        dropped_input = lane.queue.front().input.journal_id;
        lane.queue.pop_front();
        lane.dropped.fetch_add(1, std::memory_order_relaxed);
      } else {
        lock.unlock();
        if (deadletter(lane, message, "queue", "queue full (" + std::to_string(settings.queue_max) + " messages)"))
          lane_done(input_id);
        continue;
      }
    }
    // The last pipeline takes the message itself; the others get copies.
    if (t + 1 == targets.size()) lane.queue.push_back(QueuedInput{std::move(message), now});
    else lane.queue.push_back(QueuedInput{message, now});
    // A new task when the lane has room for one and this message could run now; otherwise
    // a running task takes it when its topic or a task is free.
    const bool start_drain = lane.active < lane.concurrency && !lane.topic_running(lane.queue.back().input.topic);
    if (start_drain) ++lane.active;
    lock.unlock();
    if (start_drain) schedule(lane);
    lane_done(dropped_input);  // dropping is the policy's outcome for the oldest input
  }
  return targets.size();
}

bool Runner::park(Lane& lane, int64_t input_id, bool replayed, bool& first) {
  const PipelineSettings& settings = lane.pipeline->settings();
  if (input_id <= 0 || !options_.load_input || !accepting_) return false;
  // Behind inputs parked earlier, even when there is room now or the policy is another
  // (parked replayed inputs): arrival order.
  first = lane.parked.empty();
  if (first && (lane.queue.size() < settings.queue_max || (settings.on_full != OnFull::block && !replayed)))
    return false;
  lane.parked.push_back(input_id);
  lane.parked_total.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Runner::feed_parked(Lane& lane, std::vector<int64_t>& gone) {
  const size_t room = lane.pipeline->settings().queue_max;
  while (!lane.parked.empty() && lane.queue.size() < room && accepting_) {
    const int64_t input_id = lane.parked.front();
    // Read under the lane lock, so no newer input of this lane is queued before it.
    auto input = options_.load_input(input_id);
    lane.parked.pop_front();
    if (!input) {
      gone.push_back(input_id);
      continue;
    }
    lane.queue.push_back(QueuedInput{std::move(*input), std::chrono::steady_clock::now()});
  }
}

bool Runner::has_parked(const std::string& bus) const {
  for (const auto& lane : lanes_) {
    if (lane->pipeline->settings().bus != bus) continue;
    std::lock_guard lock(lane->mutex);
    if (!lane->parked.empty()) return true;
  }
  return false;
}

void Runner::lane_done(int64_t input_id) {
  if (input_id <= 0) return;
  {
    std::lock_guard lock(open_inputs_mutex_);
    auto it = open_inputs_.find(input_id);
    if (it == open_inputs_.end() || --it->second > 0) return;
    open_inputs_.erase(it);
  }
  publisher_.input_finished(input_id);
}

void Runner::run_inline(Lane& lane, bus::Message&& message, std::chrono::steady_clock::time_point started) {
  Envelope envelope;
  envelope.input = std::move(message);
  envelope.started = started;
  process(lane, envelope);
  bool queued_meanwhile;
  {
    std::lock_guard lock(lane.mutex);
    queued_meanwhile = !lane.queue.empty();
    if (!queued_meanwhile) lane.active = 0;
  }
  if (queued_meanwhile) {
    schedule(lane);  // the lane stays held until a drain task has run what was queued
    return;
  }
  std::lock_guard idle_lock(idle_mutex_);
  idle_.notify_all();
}

void Runner::schedule(Lane& lane) {
  pool_->post([this, &lane] { drain_lane(lane); });
}

void Runner::drain_lane(Lane& lane) {
  for (int i = 0; i < kBatch; ++i) {
    QueuedInput next;
    bool finished = false;
    bool parked_drained = false;  // this task queued the lane's last parked input
    bool start_another = false;   // more could run at once: a further task takes them
    std::vector<int64_t> gone;
    {
      std::lock_guard lock(lane.mutex);
      const bool had_parked = !lane.parked.empty();
      if (had_parked) feed_parked(lane, gone);
      const auto runnable = lane.next_runnable();
      if (runnable == lane.queue.end()) {
        // Messages left behind are of running topics: those topics' tasks take them.
        --lane.active;
        finished = true;
      } else {
        next = std::move(*runnable);
        lane.queue.erase(runnable);
        lane.not_full.notify_one();
        if (had_parked) feed_parked(lane, gone);
        if (lane.concurrency > 1) {
          lane.running_topics.push_back(next.input.topic);
          start_another = lane.active < lane.concurrency && lane.next_runnable() != lane.queue.end();
          if (start_another) ++lane.active;
        }
      }
      parked_drained = had_parked && lane.parked.empty();
    }
    for (const int64_t input_id : gone) {
      spdlog::error("parked_input_unreadable pipeline={} input={}", lane.pipeline->name(), input_id);
      lane_done(input_id);
    }
    if (parked_drained) {
      spdlog::debug("parked_inputs_queued pipeline={} bus={}", lane.pipeline->name(), lane.pipeline->settings().bus);
      if (options_.on_parked_changed) options_.on_parked_changed(lane.pipeline->settings().bus);
    }
    if (finished) {
      // Lane lock released first: waiters take the idle lock, then lane locks.
      std::lock_guard idle_lock(idle_mutex_);
      idle_.notify_all();
      return;
    }
    if (start_another) schedule(lane);
    Envelope envelope;
    envelope.input = std::move(next.input);
    envelope.started = next.started;
    process(lane, envelope);
    if (lane.concurrency > 1) {
      // Its outputs are published: the topic's next message may run.
      std::lock_guard lock(lane.mutex);
      lane.running_topics.erase(std::find(lane.running_topics.begin(), lane.running_topics.end(), envelope.input.topic));
    }
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
  const int64_t input_id = envelope.input.journal_id;
  bool kept = true;
  switch (outcome.status) {
    case StageStatus::next: {
      int seq = 0;
      for (auto& message : envelope.outputs) {
        kept = publisher_.publish_output(std::move(message), OutboundKind::output,
                                         OutputOrigin{input_id, lane.pipeline->name(), seq++}) && kept;
      }
      lane.out.fetch_add(1, std::memory_order_relaxed);
      lane.latency.record(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - envelope.started).count());
      break;
    }
    case StageStatus::filtered:
      lane.filtered.fetch_add(1, std::memory_order_relaxed);
      break;
    case StageStatus::held:
      // A window keeps the message in memory; the journal counts the input as done.
      lane.held.fetch_add(1, std::memory_order_relaxed);
      break;
    case StageStatus::failed:
      kept = deadletter(lane, envelope.input, outcome.stage, outcome.reason);
      break;
  }
  if (options_.archive && outcome.status != StageStatus::failed &&
      lane.pipeline->settings().archive == ArchiveMode::inputs)
    archive(lane, envelope.input, engine::sha256_hex(envelope.input.payload), {}, {});
  if (kept) lane_done(input_id);
}

bool Runner::deadletter(Lane& lane, const bus::Message& input, std::string_view stage, std::string_view reason) {
  lane.deadlettered.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("deadletter pipeline={} stage={} topic={} size={} reason=\"{}\"", lane.pipeline->name(), stage,
               input.topic, input.payload.size(), reason);
  const std::string payload_sha256 = engine::sha256_hex(input.payload);  // the record's and the archive's
  if (options_.archive && lane.pipeline->settings().archive != ArchiveMode::none)
    archive(lane, input, payload_sha256, stage, reason);
  // seq -1: a dead-letter never shares its stable id with one of the pipeline's outputs.
  return publisher_.publish_output(make_deadletter(lane.pipeline->settings(), input, payload_sha256, stage, reason,
                                                   options_.deadletters),
                                   OutboundKind::deadletter, OutputOrigin{input.journal_id, lane.pipeline->name(), -1});
}

void Runner::archive(const Lane& lane, const bus::Message& input, std::string payload_sha256, std::string_view stage,
                     std::string_view reason) {
  bus::ArchiveEntry entry;
  entry.received_at_ms = input.received_at_ms;
  entry.pipeline = lane.pipeline->name();
  entry.bus = input.bus;
  entry.topic = input.topic;
  entry.stage = stage;
  entry.reason = reason;
  entry.sha256 = std::move(payload_sha256);
  entry.payload = input.payload;
  options_.archive->keep(std::move(entry));
}

size_t Runner::pending() const {
  size_t n = 0;
  for (const auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    n += lane->queue.size() + static_cast<size_t>(lane->active);
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
  // pending() counts each drain task as one; report queued messages plus those.
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
    c.parked = lane->parked_total.load(std::memory_order_relaxed);
    c.tokens_in = lane->tokens_in.load(std::memory_order_relaxed);
    c.tokens_out = lane->tokens_out.load(std::memory_order_relaxed);
    c.generate_ms = static_cast<double>(lane->generate_us.load(std::memory_order_relaxed)) / 1000.0;
    {
      std::lock_guard lock(lane->mutex);
      c.queue_depth = lane->queue.size();
      c.parked_depth = lane->parked.size();
    }
    c.latency = lane->latency.snapshot();
    out.push_back(c);
  }
  return out;
}

}  // namespace edgenode::pipeline
