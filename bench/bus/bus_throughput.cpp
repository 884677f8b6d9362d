// Bus-layer throughput and latency through a real mosquitto on loopback: one MqttBus
// publishes 100-byte JSON messages, another receives them (no pipeline). Also the
// journal's cost per QoS 1 message (record input, add output, finish, ack).
// Prints a table; not a test.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bus/journal.h"
#include "bus/mqtt_bus.h"
#include "bus/outbox_sender.h"
#include "support/mosquitto_broker.h"

namespace {

using namespace edgenode;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

struct Row {
  std::string name;
  double messages_per_s;
  double p50_ms, p99_ms;
};

// 100 bytes of JSON; the send time (ns) sits at bytes 6..24 for the receiver.
std::string bench_payload(int seq) {
  char payload[101];
  std::snprintf(payload, sizeof payload,
                "{\"t\":\"%019lld\",\"rms\":0.512,\"temp_c\":41.5,\"seq\":%09d,\"pad\":\"xxxxxxxxxxxxxxx\"}",
                static_cast<long long>(now_ns()), seq);
  return payload;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t k = static_cast<std::size_t>(p * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// Publishes `count` messages as fast as the flow allows, with at most `kWindow` in
// flight (QoS 0: sent but not yet received; QoS 1: not yet acked), and waits until the
// receiver has them all. The window keeps latency a measure of the path, not of a queue.
Row run_mqtt(const testing::MosquittoBroker& broker, int qos, int count) {
  bus::MqttOptions o;
  o.url = broker.url();
  o.client_id = "bench-sub-" + std::to_string(qos);
  auto sub = bus::MqttBus::create(o).value();
  o.client_id = "bench-pub-" + std::to_string(qos);
  auto pub = bus::MqttBus::create(o).value();

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(count);
  int received = 0;
  std::atomic<int64_t> acked{0};
  sub->on_message([&](bus::Message&& m) {
    const int64_t sent = std::stoll(m.payload.substr(6, 19));
    std::lock_guard lock(mutex);
    latencies_ms.push_back((now_ns() - sent) / 1e6);
    ++received;
    changed.notify_all();
  });
  pub->on_ack([&](uint64_t) {
    std::lock_guard lock(mutex);  // so the publisher's wait cannot miss the wake-up
    acked.fetch_add(1);
    changed.notify_all();
  });
  (void)sub->subscribe("bench/#", qos);
  if (!sub->start().ok() || !pub->start().ok()) {
    std::fprintf(stderr, "cannot connect to the broker\n");
    return {"error", 0, 0, 0};
  }
  constexpr int kWindow = 1000;
  auto in_flight = [&](int sent) { return sent - (qos == 0 ? received : static_cast<int>(acked.load())); };
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    {
      std::unique_lock lock(mutex);
      changed.wait_for(lock, 1s, [&] { return in_flight(i) < kWindow; });
    }
    bus::Message m;
    m.topic = "bench/line1/vibration";
    m.payload = bench_payload(i);
    m.qos = qos;
    while (!pub->publish(m).ok()) std::this_thread::yield();
  }
  std::unique_lock lock(mutex);
  changed.wait_for(lock, 60s, [&] { return received >= count; });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Row row{"mqtt qos" + std::to_string(qos) + " pub→sub", received / seconds, percentile(latencies_ms, 0.5),
          percentile(latencies_ms, 0.99)};
  if (received < count) row.name += " (lost " + std::to_string(count - received) + ")";
  lock.unlock();
  pub->stop();
  sub->stop();
  return row;
}

// The durable QoS 1 path without a pipeline: each message is recorded as an input,
// its output goes through the journal's outbox and an OutboxSender to the broker, and
// a consumer receives it. Latency is from recording the input to the consumer.
Row run_store_and_forward(const testing::MosquittoBroker& broker, const std::filesystem::path& dir, int count) {
  bus::JournalOptions jo;
  jo.path = (dir / "bench-sf.db").string();
  jo.outbox_max_messages = static_cast<uint64_t>(count) + 1;
  auto journal = bus::Journal::open(jo).value();
  bus::MqttOptions o;
  o.url = broker.url();
  o.client_id = "bench-sf-consumer";
  auto consumer = bus::MqttBus::create(o).value();
  o.client_id = "bench-sf-node";
  o.name = "upstream";
  auto upstream = bus::MqttBus::create(o).value();
  bus::OutboxSender sender(*journal, *upstream);

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(count);
  int received = 0;
  consumer->on_message([&](bus::Message&& m) {
    const int64_t sent = std::stoll(m.payload.substr(6, 19));
    std::lock_guard lock(mutex);
    latencies_ms.push_back((now_ns() - sent) / 1e6);
    ++received;
    changed.notify_all();
  });
  (void)consumer->subscribe("bench-sf/#", 1);
  if (!consumer->start().ok() || !upstream->start().ok()) return {"error", 0, 0, 0};
  sender.start();
  constexpr int kWindow = 1000;
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    {
      std::unique_lock lock(mutex);
      changed.wait_for(lock, 1s, [&] { return i - received < kWindow; });
    }
    bus::Message in;
    in.bus = "site";
    in.topic = "bench-sf/line1/vibration";
    in.payload = bench_payload(i);
    in.qos = 1;
    const int64_t id = journal->record_input(in).value();
    bus::Message out = in;
    out.bus = "upstream";
    (void)journal->add_output(id, "passthrough", 0, out);
    (void)journal->finish_input(id);
    sender.notify();
  }
  std::unique_lock lock(mutex);
  changed.wait_for(lock, 60s, [&] { return received >= count; });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Row row{"journal+outbox qos1 pub→sub", received / seconds, percentile(latencies_ms, 0.5),
          percentile(latencies_ms, 0.99)};
  if (received < count) row.name += " (lost " + std::to_string(count - received) + ")";
  lock.unlock();
  upstream->stop();
  consumer->stop();
  return row;
}

Row run_journal(const std::filesystem::path& dir, int count) {
  bus::JournalOptions o;
  o.path = (dir / "bench-journal.db").string();
  auto journal = bus::Journal::open(o).value();
  bus::Message in;
  in.bus = "site";
  in.topic = "bench/line1/vibration";
  in.payload = std::string(100, 'x');
  in.qos = 1;
  std::vector<double> per_message_ms;
  per_message_ms.reserve(count);
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const int64_t t0 = now_ns();
    const int64_t id = *journal->record_input(in);
    auto out = journal->add_output(id, "bench", 0, in);
    (void)journal->finish_input(id);
    (void)journal->output_acked(out->id);
    per_message_ms.push_back((now_ns() - t0) / 1e6);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {"journal in+out+finish+ack", count / seconds, percentile(per_message_ms, 0.5),
          percentile(per_message_ms, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  // The table goes to stdout; the clients' log only to stderr and only errors, so their
  // connects and disconnects (each client's stop logs one as a warning) stay out of it.
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench_bus"));
  spdlog::set_level(spdlog::level::err);
  const int count = argc > 1 ? std::atoi(argv[1]) : 100000;
  auto broker = testing::MosquittoBroker::start();
  if (!broker.ok()) {
    std::fprintf(stderr, "%s\n", broker.error().message.c_str());
    return 1;
  }
  std::vector<Row> rows;
  rows.push_back(run_mqtt(**broker, 0, count));
  rows.push_back(run_mqtt(**broker, 1, count));
  rows.push_back(run_store_and_forward(**broker, (*broker)->dir(), std::min(count, 20000)));
  rows.push_back(run_journal((*broker)->dir(), std::min(count, 20000)));
  std::printf("%-32s %14s %10s %10s\n", "flow (100-byte JSON)", "messages/s", "p50 ms", "p99 ms");
  for (const auto& r : rows) std::printf("%-32s %14.0f %10.3f %10.3f\n", r.name.c_str(), r.messages_per_s, r.p50_ms, r.p99_ms);
  return 0;
}
