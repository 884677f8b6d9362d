#include "bus/outbox_sender.h"

#include <spdlog/spdlog.h>

namespace edgenode::bus {

OutboxSender::OutboxSender(Journal& journal, Bus& bus, OutboxSenderOptions options)
    : journal_(journal), bus_(bus), options_(options) {
  bus_.on_ack([this](uint64_t token) { handle_ack(token); });
  bus_.on_connection([this](bool up) { handle_connection(up); });
}

OutboxSender::~OutboxSender() { stop(); }

void OutboxSender::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  connected_ = bus_.stats().connected;
  thread_ = std::thread([this] { run(); });
}

void OutboxSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxSender::notify() {
  {
    std::lock_guard lock(mutex_);
    pending_work_ = true;
  }
  wake_.notify_all();
}

OutboxSenderStats OutboxSender::stats() const {
  std::lock_guard lock(mutex_);
  OutboxSenderStats s = stats_;
  s.in_flight = in_flight_.size();
  return s;
}

void OutboxSender::handle_connection(bool up) {
  {
    std::lock_guard lock(mutex_);
    connected_ = up;
    if (up) {
      // Acks of what was in flight may never come; start over from the oldest output
      // still in the journal. Late acks of the old tokens are ignored.
      in_flight_.clear();
      cursor_ = 0;
      pending_work_ = true;
    }
  }
  wake_.notify_all();
}

void OutboxSender::handle_ack(uint64_t token) {
  {
    // Taking the lock also waits for send_batch to record this token.
    std::lock_guard lock(mutex_);
    auto it = in_flight_.find(token);
    if (it == in_flight_.end()) return;
    acked_.push_back(it->second);
    ++acks_unrecorded_;
    in_flight_.erase(it);
    ++stats_.acked;
    pending_work_ = true;
  }
  wake_.notify_all();
}

void OutboxSender::record_acks() {
  std::vector<int64_t> acked;
  {
    std::lock_guard lock(mutex_);
    acked.swap(acked_);
  }
  if (acked.empty()) return;
  auto done = journal_.outputs_acked(acked);
  {
    // Recorded or not, they leave the window: a failed record is retried by the resend
    // after the next reconnect or restart, like an ack that never came.
    std::lock_guard lock(mutex_);
    acks_unrecorded_ -= acked.size();
    pending_work_ = true;
  }
  if (!done.ok()) spdlog::error("outbox acks not recorded bus={} error=\"{}\"", bus_.name(), done.error().message);
  else if (options_.on_acks_recorded) options_.on_acks_recorded();
}

void OutboxSender::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.idle_poll, [&] {
      return stopping_ || !acked_.empty() ||
             (connected_ && pending_work_ && window_used() < options_.max_in_flight);
    });
    if (stopping_) break;
    lock.unlock();
    record_acks();
    lock.lock();
    if (!connected_ || window_used() >= options_.max_in_flight) continue;
    pending_work_ = false;
    lock.unlock();
    const bool more = send_batch();
    lock.lock();
    if (more) pending_work_ = true;
  }
  lock.unlock();
  record_acks();
}

bool OutboxSender::send_batch() {
  std::size_t room;
  int64_t cursor;
  {
    std::lock_guard lock(mutex_);
    room = options_.max_in_flight - std::min(options_.max_in_flight, window_used());
    cursor = cursor_;
  }
  if (room == 0) return false;
  auto entries = journal_.outputs_for_bus(bus_.name(), cursor, room);
  if (!entries.ok()) {
    spdlog::error("outbox read failed bus={} error=\"{}\"", bus_.name(), entries.error().message);
    return false;
  }
  for (const auto& entry : *entries) {
    std::lock_guard lock(mutex_);
    if (stopping_ || !connected_ || cursor_ != cursor) return false;  // a reconnect reset the cursor
    auto token = bus_.publish(entry.message);
    if (!token.ok()) {
      if (token.error().kind != ErrorKind::bad_input) return false;  // bus away: retry later
      spdlog::error("outbox output refused bus={} output_id={} error=\"{}\"", bus_.name(), entry.output_id,
                    token.error().message);
      ++stats_.refused;
      cursor_ = cursor = entry.id;
      auto dropped = journal_.output_acked(entry.id);
      if (!dropped.ok()) spdlog::error("outbox drop not recorded error=\"{}\"", dropped.error().message);
      continue;
    }
    in_flight_[*token] = entry.id;
    cursor_ = cursor = entry.id;
    ++stats_.sent;
  }
  return entries->size() == room;  // a full batch: there may be more
}

}  // namespace edgenode::bus
