// The two ends of a reliability test's stream, as real MQTT clients:
//   StreamProducer  publishes numbered inputs with QoS 2 on a persistent session, as a
//                   gateway that must not create duplicates would: libmosquitto resends
//                   what a killed broker never completed, with the same packet id, and the
//                   restarted broker (its persistence holds the session) recognises it, so
//                   the broker holds each input exactly once. (A QoS 1 publisher resending
//                   after a broker crash creates new messages that nobody downstream can
//                   tell from new inputs.) Inputs refused while disconnected are retried;
//   OutputConsumer  a persistent-session subscriber that records every output with its
//                   `output_id` user property and the input's `seq`, and telemetry records.
// Tests wait on what these clients saw (events), never on fixed sleeps.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bus/mqtt_bus.h"

namespace edgenode::testing {

class StreamProducer {
 public:
  StreamProducer(const std::string& url, std::string client_id) {
    bus::MqttOptions options;
    options.name = "producer";
    options.url = url;
    options.client_id = std::move(client_id);
    options.persistent_session = true;
    options.session_expiry_s = 600;
    options.reconnect_min = std::chrono::milliseconds(50);
    options.reconnect_max = std::chrono::milliseconds(200);
    auto created = bus::MqttBus::create(options);
    EXPECT_TRUE(created.ok()) << created.error().message;
    bus_ = std::move(created).value();
    bus_->on_connection([this](bool up) {
      {
        std::lock_guard lock(mutex_);
        connected_ = up;
      }
      wake_.notify_all();
    });
    auto started = bus_->start();
    EXPECT_TRUE(started.ok()) << started.error().message;
    thread_ = std::thread([this] { run(); });
  }
  ~StreamProducer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    bus_->stop();
  }

  // Queues inputs seq = first .. first+count-1 on `topic` as {"seq": n, "v": n}.
  void send(const std::string& topic, int first, int count) {
    {
      std::lock_guard lock(mutex_);
      for (int seq = first; seq < first + count; ++seq) {
        bus::Message m;
        m.topic = topic;
        m.qos = 2;
        m.payload = nlohmann::json{{"seq", seq}, {"v", seq}}.dump();
        pending_.push_back(std::move(m));
      }
    }
    wake_.notify_all();
  }

 private:
  // Hands the queued inputs to libmosquitto in order; it sees each through to PUBCOMP.
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait(lock, [&] { return stopping_ || (connected_ && !pending_.empty()); });
      if (stopping_) break;
      bus::Message next = pending_.front();
      lock.unlock();
      const bool handed_over = bus_->publish(next).ok();
      lock.lock();
      if (handed_over) {
        pending_.pop_front();
      } else {
        // Disconnected before the connection event arrived: look again shortly.
        wake_.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopping_; });
      }
    }
  }

  std::unique_ptr<bus::MqttBus> bus_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<bus::Message> pending_;
  bool connected_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

struct ReceivedOutput {
  std::string output_id;
  int seq = -1;
  std::string payload;
};

class OutputConsumer {
 public:
  // Subscribes to `output_filter` (outputs) and `telemetry_topic` (may be empty) with a
  // persistent session, so outputs published while it reconnects are kept for it.
  OutputConsumer(const std::string& url, const std::string& output_filter, std::string telemetry_topic,
                 std::string client_id)
      : output_filter_(output_filter), telemetry_topic_(std::move(telemetry_topic)) {
    bus::MqttOptions options;
    options.name = "consumer";
    options.url = url;
    options.client_id = std::move(client_id);
    options.persistent_session = true;
    options.session_expiry_s = 600;
    options.reconnect_min = std::chrono::milliseconds(50);
    options.reconnect_max = std::chrono::milliseconds(200);
    auto created = bus::MqttBus::create(options);
    EXPECT_TRUE(created.ok()) << created.error().message;
    bus_ = std::move(created).value();
    bus_->on_message([this](bus::Message&& m) { record(std::move(m)); });
    EXPECT_TRUE(bus_->subscribe(output_filter, 1).ok());
    if (!telemetry_topic_.empty()) {
      EXPECT_TRUE(bus_->subscribe(telemetry_topic_, 0).ok());
    }
    auto started = bus_->start();
    EXPECT_TRUE(started.ok()) << started.error().message;
  }
  ~OutputConsumer() { bus_->stop(); }

  // Waits until outputs for every seq in [0, count) arrived.
  bool wait_for_all_seqs(int count, std::chrono::milliseconds timeout) {
    return wait([&] { return static_cast<int>(seqs_.size()) >= count; }, timeout);
  }
  bool wait_for_outputs(size_t count, std::chrono::milliseconds timeout) {
    return wait([&] { return outputs_.size() >= count; }, timeout);
  }
  // Waits for a telemetry record, the `from`-th or later, for which `match` holds.
  bool wait_for_telemetry(const std::function<bool(const nlohmann::json&)>& match, std::chrono::milliseconds timeout,
                          size_t from = 0) {
    size_t checked = from;
    return wait(
        [&] {
          for (; checked < telemetry_.size(); ++checked) {
            if (match(telemetry_[checked])) return true;
          }
          return false;
        },
        timeout);
  }

  std::vector<ReceivedOutput> outputs() const {
    std::lock_guard lock(mutex_);
    return outputs_;
  }
  std::set<int> seqs() const {
    std::lock_guard lock(mutex_);
    return seqs_;
  }
  std::vector<nlohmann::json> telemetry() const {
    std::lock_guard lock(mutex_);
    return telemetry_;
  }

 private:
  void record(bus::Message&& m) {
    std::lock_guard lock(mutex_);
    if (!telemetry_topic_.empty() && m.topic == telemetry_topic_) {
      auto record = nlohmann::json::parse(m.payload, nullptr, false);
      if (!record.is_discarded()) telemetry_.push_back(std::move(record));
    } else {
      ReceivedOutput out;
      for (const auto& [key, value] : m.user_properties) {
        if (key == "output_id") out.output_id = value;
      }
      auto payload = nlohmann::json::parse(m.payload, nullptr, false);
      if (payload.is_object() && payload.contains("seq") && payload["seq"].is_number_integer()) {
        out.seq = payload["seq"].get<int>();
        seqs_.insert(out.seq);
      }
      out.payload = std::move(m.payload);
      outputs_.push_back(std::move(out));
    }
    arrived_.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, pred);
  }

  std::string output_filter_;
  std::string telemetry_topic_;
  std::unique_ptr<bus::MqttBus> bus_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<ReceivedOutput> outputs_;
  std::set<int> seqs_;
  std::vector<nlohmann::json> telemetry_;
};

// What a stream's outputs say about loss and duplicates.
struct DeliveryReport {
  int missing = 0;                 // seqs in [0, count) with no output
  int bad_ids = 0;                 // outputs without an output_id
  int same_id_duplicates = 0;      // extra copies of an output_id already seen
  int conflicting_copies = 0;      // copies of one output_id whose payloads differ
  int seqs_with_several_ids = 0;   // inputs journaled twice (each copy a new journal entry)

  std::string summary() const {
    return "missing=" + std::to_string(missing) + " bad_ids=" + std::to_string(bad_ids) +
           " same_id_duplicates=" + std::to_string(same_id_duplicates) +
           " conflicting_copies=" + std::to_string(conflicting_copies) +
           " seqs_with_several_ids=" + std::to_string(seqs_with_several_ids);
  }
};

inline DeliveryReport check_delivery(const std::vector<ReceivedOutput>& outputs, int count) {
  DeliveryReport report;
  std::map<std::string, std::string> by_id;
  std::map<int, std::set<std::string>> ids_by_seq;
  for (const auto& out : outputs) {
    if (out.output_id.empty()) {
      ++report.bad_ids;
      continue;
    }
    auto [it, inserted] = by_id.emplace(out.output_id, out.payload);
    if (!inserted) {
      ++report.same_id_duplicates;
      if (it->second != out.payload) ++report.conflicting_copies;
    }
    ids_by_seq[out.seq].insert(out.output_id);
  }
  for (int seq = 0; seq < count; ++seq) {
    auto it = ids_by_seq.find(seq);
    if (it == ids_by_seq.end()) {
      ++report.missing;
    } else if (it->second.size() > 1) {
      ++report.seqs_with_several_ids;
    }
  }
  return report;
}

}  // namespace edgenode::testing
