// A broker restart in the middle of a QoS 1 stream through the real `edgenode run`, set up
// the way the README says for "nothing lost": a persistent session (the broker keeps the
// node's subscription and queues its input while it is away) and the journal (results
// wait on disk while the broker is away). The broker is stopped and started again, as
// an upgrade or a reboot of the broker host does; its persistence keeps the sessions.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bus/mqtt_bus.h"
#include "node_site.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Publishes {"seq": n} to in/stream at QoS 1 until told to stop, each message again until
// the broker acknowledged it (a copy may arrive twice; none is given up).
class StreamProducer {
 public:
  explicit StreamProducer(const std::string& url) {
    bus::MqttOptions options;
    options.name = "producer";
    options.url = url;
    options.client_id = "restart-producer";
    options.reconnect_min = 50ms;
    options.reconnect_max = 500ms;
    auto created = bus::MqttBus::create(options);
    EXPECT_TRUE(created.ok()) << created.error().message;
    bus_ = std::move(created).value();
    bus_->on_ack([this](uint64_t token) {
      std::lock_guard lock(mutex_);
      acked_.insert(token);
      changed_.notify_all();
    });
    bus_->on_connection([this](bool) { changed_.notify_all(); });
    EXPECT_TRUE(bus_->start().ok());
    thread_ = std::thread([this] { stream(); });
  }
  ~StreamProducer() { stop(); }

  // Stops once the message in hand is acknowledged (or its wait timed out); returns how
  // many were acknowledged, which are readings 0 .. n-1.
  int stop() {
    stopping_ = true;
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    bus_->stop();
    return acked_count_;
  }
  int acked_count() const { return acked_count_; }

 private:
  void stream() {
    // A steady rate, so the restart lands in the middle of the stream on a fast or a
    // loaded machine alike.
    constexpr auto kPeriod = 2ms;
    auto next_send = std::chrono::steady_clock::now();
    while (!stopping_) {
      bus::Message m;
      m.topic = "in/stream";
      m.payload = json{{"seq", acked_count_.load()}}.dump();
      m.qos = 1;
      auto token = bus_->publish(m);
      std::unique_lock lock(mutex_);
      if (!token) {  // the broker is away: wait for the reconnect, then send it again
        changed_.wait_for(lock, 100ms, [&] { return stopping_.load(); });
        continue;
      }
      // No ack within the time: the connection went; the same message goes again.
      if (!changed_.wait_for(lock, 2s, [&] { return acked_.count(*token) > 0; })) continue;
      acked_.erase(*token);
      ++acked_count_;
      next_send += kPeriod;
      changed_.wait_until(lock, next_send, [&] { return stopping_.load(); });
    }
  }

  std::unique_ptr<bus::MqttBus> bus_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<uint64_t> acked_;
  std::atomic<int> acked_count_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The seq values of the results, gathered as messages arrive (each message read once).
struct ResultSeqs {
  std::set<int> seqs;
  size_t copies = 0;  // results received, duplicates included
  size_t read = 0;    // messages looked at
  void update(const std::vector<bus::Message>& messages) {
    for (; read < messages.size(); ++read) {
      if (messages[read].topic != "out/stream") continue;
      seqs.insert(json::parse(messages[read].payload)["seq"].get<int>());
      ++copies;
    }
  }
};

bool telemetry_reconnects(const bus::Message& m) {
  if (m.topic != "edgenode/restart/telemetry") return false;
  const json t = json::parse(m.payload);
  return t["reconnects"].get<int>() >= 1 && t["buses"]["default"]["reconnects"].get<int>() >= 1 &&
         t["buses"]["default"]["connected"].get<bool>();
}

TEST(NodeBrokerRestart, MidStreamTheNodeReconnectsCountsItAndLosesNothing) {
  MosquittoBrokerOptions persistent;
  persistent.persistence = true;
  auto started = MosquittoBroker::start(persistent);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto broker = std::move(started).value();
  const std::string config = write_relay_config(
      broker->dir(), "restart", broker->url(), "session: persistent, reconnect_min: 100ms, reconnect_max: 1s",
      "journal: " + (broker->dir() / "journal.db").string());

  // The consumer's own session is persistent too, so results the broker holds for it
  // survive the restart.
  auto consumer_options = MqttProbe::default_options(broker->url());
  consumer_options.client_id = "restart-consumer";
  consumer_options.persistent_session = true;
  consumer_options.reconnect_min = 50ms;
  consumer_options.reconnect_max = 500ms;
  MqttProbe consumer(consumer_options, {"out/stream", "edgenode/restart/#"}, 1);
  NodeProcess node({"run", config}, (broker->dir() / "node.log").string());
  ASSERT_TRUE(wait_online(consumer, "restart").has_value()) << node.log();

  StreamProducer producer(broker->url());
  ASSERT_GE(consumer.wait_count(on_topic("out/stream"), 200, 60s).size(), 200u) << node.log();

  const size_t sent_at_restart = static_cast<size_t>(producer.acked_count());
  broker->stop();
  ASSERT_TRUE(broker->restart().ok()) << broker->log();
  ASSERT_TRUE(consumer.wait_for(telemetry_reconnects, 30s).has_value())
      << "telemetry never counted the reconnect\n" << node.log();
  // Results for 100 readings sent after the restart.
  ResultSeqs results;
  ASSERT_TRUE(consumer.wait_until(
      [&](const std::vector<bus::Message>& messages) {
        results.update(messages);
        return results.seqs.size() >= sent_at_restart + 100;
      },
      60s))
      << "the stream did not carry on\n" << node.log();
  const int sent = producer.stop();

  // Every reading sent has its result, duplicates aside.
  const bool all = consumer.wait_until(
      [&](const std::vector<bus::Message>& messages) {
        results.update(messages);
        return std::distance(results.seqs.begin(), results.seqs.lower_bound(sent)) == sent;  // all of 0..sent-1
      },
      60s);
  std::vector<int> missing;
  for (int seq = 0; seq < sent; ++seq) {
    if (!results.seqs.count(seq)) missing.push_back(seq);
  }
  EXPECT_TRUE(all && missing.empty()) << missing.size() << " of " << sent << " results missing, the first "
                                      << (missing.empty() ? -1 : missing.front()) << "\n" << node.log();
  std::cout << "[ broker restart ] readings=" << sent << " sent before the restart=" << sent_at_restart
            << " results=" << results.copies << " distinct=" << results.seqs.size() << "\n";
  EXPECT_EQ(node.stop(SIGTERM, 10s), 0) << node.log();
}

}  // namespace
}  // namespace edgenode::testing
