#include "node/journal_publisher.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace edgenode::node {

using nlohmann::json;

namespace {
// How often a runner thread blocked on a full outbox looks for room again when no ack
// wakes it.
constexpr auto kRoomPollInterval = std::chrono::milliseconds(50);
constexpr auto kCompactionInterval = std::chrono::seconds(30);
// Stable-id namespace of outputs that belong to no input.
constexpr const char* kNodeOrigin = "node";
}  // namespace

JournalPublisher::JournalPublisher(std::unique_ptr<bus::Journal> journal,
                                   const std::map<std::string, std::unique_ptr<bus::Bus>>& buses)
    : journal_(std::move(journal)), buses_(buses) {}

JournalPublisher::~JournalPublisher() { close(); }

Result<std::unique_ptr<JournalPublisher>> JournalPublisher::open(
    const pipeline::NodeSettings& settings, const std::map<std::string, std::unique_ptr<bus::Bus>>& buses) {
  bus::JournalOptions options;
  options.path = settings.journal;
  options.outbox_max_messages = settings.outbox_max_messages;
  options.outbox_max_bytes = settings.outbox_max_bytes;
  options.on_full = settings.outbox_on_full == "block" ? bus::JournalOptions::OnFull::block
                                                       : bus::JournalOptions::OnFull::drop_oldest;
  auto journal = bus::Journal::open(std::move(options));
  if (!journal) return journal.error();
  std::unique_ptr<JournalPublisher> publisher(new JournalPublisher(std::move(journal).value(), buses));
  bus::OutboxSenderOptions sender_options;
  JournalPublisher* self = publisher.get();
  sender_options.on_acks_recorded = [self] { self->wake_.notify_all(); };
  for (const auto& [name, b] : buses)
    publisher->senders_[name] = std::make_unique<bus::OutboxSender>(*publisher->journal_, *b, sender_options);
  const auto s = publisher->journal_->stats();
  spdlog::info("journal_opened path={} inbox_open={} outbox_messages={} outbox_bytes={} on_full={}", settings.journal,
               s.inbox_open, s.outbox_messages, s.outbox_bytes, settings.outbox_on_full);
  return publisher;
}

void JournalPublisher::start_senders() {
  for (auto& [name, sender] : senders_) sender->start();
}

JournalPublisher::InputRecord JournalPublisher::record_input(bus::Message& message) {
  auto original = journal_->redelivered_input(message);
  if (!original) {
    spdlog::error("journal_redelivery_check_failed bus={} topic={} error=\"{}\"", message.bus, message.topic,
                  original.error().message);
  } else if (*original) {
    spdlog::debug("input_redelivered bus={} topic={} packet_id={} input={} reopened={}", message.bus, message.topic,
                  message.delivery.packet_id, (*original)->input_id, (*original)->reopened);
    if (!(*original)->reopened) return InputRecord::redelivery;
    message.journal_id = (*original)->input_id;
    return InputRecord::recorded;
  }
  auto id = journal_->record_input(message);
  if (!id) {
    spdlog::error("journal_record_failed bus={} topic={} error=\"{}\"", message.bus, message.topic, id.error().message);
    return InputRecord::failed;
  }
  message.journal_id = *id;
  return InputRecord::recorded;
}

std::vector<bus::Message> JournalPublisher::pending_inputs() {
  auto pending = journal_->pending_inputs();
  if (!pending) {
    spdlog::error("journal_replay_failed error=\"{}\"", pending.error().message);
    return {};
  }
  return std::move(pending).value();
}

std::optional<bus::Message> JournalPublisher::input(int64_t input_id) {
  auto input = journal_->input(input_id);
  if (!input) {
    spdlog::error("journal_read_failed input={} error=\"{}\"", input_id, input.error().message);
    return std::nullopt;
  }
  return std::move(input).value();
}

void JournalPublisher::notify_sender(const std::string& bus) {
  auto it = senders_.find(bus);
  if (it != senders_.end()) it->second->notify();
}

void JournalPublisher::publish(bus::Message&& message, pipeline::OutboundKind kind) {
  publish_output(std::move(message), kind, pipeline::OutputOrigin{0, kNodeOrigin, 0});
}

bool JournalPublisher::publish_output(bus::Message&& message, pipeline::OutboundKind, const pipeline::OutputOrigin& origin) {
  if (senders_.count(message.bus) == 0) {
    spdlog::error("publish_failed bus={} topic={} reason=\"no such bus\"", message.bus, message.topic);
    return true;
  }
  bool waited = false;
  while (true) {
    auto added = journal_->add_output(origin.input_id, origin.pipeline, origin.seq, message);
    if (added) break;
    if (added.error().kind == ErrorKind::bad_input) {  // larger than the whole quota: can never be kept
      std::lock_guard lock(mutex_);
      ++refused_;
      spdlog::error("output_refused bus={} topic={} pipeline={} reason=\"{}\"", message.bus, message.topic,
                    origin.pipeline, added.error().message);
      return true;
    }
    // Outbox full under `block`, or the journal cannot write (disk full): wait for room.
    if (!waited) {
      spdlog::warn("outbox_blocked bus={} reason=\"{}\"", message.bus, added.error().message);
      set_waiting(message.bus, true);
      waited = true;
    }
    std::unique_lock lock(mutex_);
    // Recorded acks wake this; the interval is for room that comes otherwise (disk space).
    if (!stopping_) wake_.wait_for(lock, kRoomPollInterval);
    if (stopping_) {
      lock.unlock();
      set_waiting(message.bus, false);
      return false;
    }
  }
  if (waited) {
    set_waiting(message.bus, false);
    spdlog::info("outbox_unblocked bus={}", message.bus);
  }
  notify_sender(message.bus);
  return true;
}

void JournalPublisher::set_waiting(const std::string& bus, bool waiting) {
  {
    std::lock_guard lock(mutex_);
    if (waiting) {
      if (waiting_on_.empty()) ++blocked_total_;
      ++waiting_on_[bus];
    } else if (--waiting_on_[bus] == 0) {
      waiting_on_.erase(bus);
    }
  }
  if (blocked_listener_) blocked_listener_();
}

bool JournalPublisher::outbox_blocked() const {
  std::lock_guard lock(mutex_);
  return !waiting_on_.empty();
}

bool JournalPublisher::outbox_waits_on(const std::string& bus) const {
  std::lock_guard lock(mutex_);
  return waiting_on_.count(bus) > 0;
}

void JournalPublisher::input_finished(int64_t input_id) {
  auto finished = journal_->finish_input(input_id);
  if (!finished) spdlog::error("journal_finish_failed input={} error=\"{}\"", input_id, finished.error().message);
}

bool JournalPublisher::wait_until_sent(const std::string& bus, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = journal_->outputs_for_bus(bus, 0, 1);
    if (left && left->empty()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kRoomPollInterval);  // acks are recorded on the senders' threads
  }
}

bool JournalPublisher::wait_until_flushed(std::chrono::steady_clock::time_point until) {
  while (true) {
    bool flushed = true;
    for (const auto& [name, b] : buses_) {
      if (!b->stats().connected) continue;
      auto left = journal_->outputs_for_bus(name, 0, 1);
      flushed = flushed && left && left->empty();
    }
    if (flushed) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kRoomPollInterval);  // acks are recorded on the senders' threads
  }
}

void JournalPublisher::stop_waiting() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void JournalPublisher::close() {
  stop_waiting();
  for (auto& [name, sender] : senders_) sender->stop();
  if (journal_) {
    auto compacted = journal_->compact();
    if (!compacted) spdlog::warn("journal_compact_failed error=\"{}\"", compacted.error().message);
    const auto s = journal_->stats();
    spdlog::info("journal_closed inbox_open={} outbox_messages={}", s.inbox_open, s.outbox_messages);
  }
  senders_.clear();
  journal_.reset();
}

void JournalPublisher::compact_from_time_to_time() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_compaction_ < kCompactionInterval) return;
  last_compaction_ = now;
  auto compacted = journal_->compact();
  if (!compacted) spdlog::warn("journal_compact_failed error=\"{}\"", compacted.error().message);
}

json JournalPublisher::stats() const {
  const bus::JournalStats s = journal_->stats();
  json senders = json::object();
  for (const auto& [name, sender] : senders_) {
    const auto ss = sender->stats();
    senders[name] = {{"sent", ss.sent}, {"acked", ss.acked}, {"in_flight", ss.in_flight}, {"refused", ss.refused}};
  }
  std::lock_guard lock(mutex_);
  return {{"inbox_open", s.inbox_open},
          {"inputs_recorded", s.inputs_recorded},
          {"inputs_done", s.inputs_done},
          {"inputs_redelivered", s.inputs_redelivered},
          {"inputs_reopened", s.inputs_reopened},
          {"outbox",
           {{"messages", s.outbox_messages},
            {"bytes", s.outbox_bytes},
            {"dropped", s.outbox_dropped},
            {"expired", s.outbox_expired},
            {"refused", refused_},
            {"blocked", !waiting_on_.empty()},
            {"blocked_total", blocked_total_}}},
          {"senders", senders}};
}

}  // namespace edgenode::node
