#include "passthrough_load.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "bus/mqtt_bus.h"

namespace edgenode::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Probes use this sequence number; measured readings count up from 0.
constexpr long kProbeSeq = 999999999;

// 100 bytes of JSON with the send time in ns; seq is space-padded (JSON allows no
// leading zeros) to keep the size fixed. Both nodes may reorder keys when they
// re-encode, so the receiver looks fields up by name.
std::string reading(long seq) {
  char payload[128];
  std::snprintf(payload, sizeof payload,
                "{\"t\":\"%019lld\",\"rms\":0.512,\"temp_c\":41.5,\"seq\":%9ld,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxx\"}",
                static_cast<long long>(now_ns()), seq);
  return payload;
}

// The numeric value after "key": (quotes around the number are skipped); -1 when absent.
long long field(const std::string& payload, const char* key) {
  const std::string needle = std::string("\"") + key + "\":";
  const auto at = payload.find(needle);
  if (at == std::string::npos) return -1;
  std::size_t i = at + needle.size();
  while (i < payload.size() && (payload[i] == '"' || payload[i] == ' ')) ++i;
  return std::strtoll(payload.c_str() + i, nullptr, 10);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// What the consumer has seen; guarded by `mutex`, changes signalled on `changed`.
struct Received {
  std::mutex mutex;
  std::condition_variable changed;
  int probes = 0;
  int count = 0;
  Clock::time_point last;
  std::vector<double> latencies_ms;
};

}  // namespace

LoadResult run_load(const LoadOptions& options) {
  LoadResult result;
  bus::MqttOptions o;
  o.url = options.broker_url;
  o.client_id = "passthrough-consumer-" + std::to_string(options.qos);
  auto consumer = bus::MqttBus::create(o);
  o.client_id = "passthrough-generator-" + std::to_string(options.qos);
  auto generator = bus::MqttBus::create(o);
  if (!consumer || !generator) {
    result.error = "bad broker url " + options.broker_url;
    return result;
  }

  Received rx;
  rx.latencies_ms.reserve(static_cast<std::size_t>(options.max_messages));
  (*consumer)->on_message([&](bus::Message&& m) {
    const long long sent_ns = field(m.payload, "t");
    const long long seq = field(m.payload, "seq");
    const int64_t now = now_ns();
    std::lock_guard lock(rx.mutex);
    if (seq == kProbeSeq) {
      ++rx.probes;
    } else if (sent_ns > 0) {
      rx.latencies_ms.push_back(static_cast<double>(now - sent_ns) / 1e6);
      ++rx.count;
      rx.last = Clock::now();
    }
    rx.changed.notify_all();
  });
  if (auto s = (*consumer)->subscribe(options.output_topic, options.qos); !s) {
    result.error = s.error().message;
    return result;
  }
  if (auto s = (*consumer)->start(); !s) {
    result.error = "consumer: " + s.error().message;
    return result;
  }
  if (auto s = (*generator)->start(); !s) {
    result.error = "generator: " + s.error().message;
    return result;
  }

  auto send = [&](long seq) {
    bus::Message m;
    m.topic = options.input_topic;
    m.payload = reading(seq);
    m.qos = options.qos;
    while (!(*generator)->publish(m)) std::this_thread::yield();
  };

  // Ready: a probe came through. Probes go out every 200 ms because a node that is not
  // yet subscribed never sees the earlier ones.
  const auto ready_deadline = Clock::now() + options.ready_timeout;
  while (Clock::now() < ready_deadline && !result.ready) {
    send(kProbeSeq);
    std::unique_lock lock(rx.mutex);
    result.ready = rx.changed.wait_for(lock, 200ms, [&] { return rx.probes > 0; });
  }
  if (!result.ready) {
    result.error = "the node passed no reading through within " + std::to_string(options.ready_timeout.count()) + " s";
    (*generator)->stop();
    (*consumer)->stop();
    return result;
  }
  std::this_thread::sleep_for(300ms);  // late probes drain before the clock starts

  // Readings that did not arrive within a second are written off so the window moves on
  // (QoS 0 may drop); they show up as lost in the result.
  int written_off = 0;
  const auto start = Clock::now();
  const auto send_deadline = start + options.max_duration;
  int sent = 0;
  while (sent < options.max_messages && Clock::now() < send_deadline) {
    {
      std::unique_lock lock(rx.mutex);
      const bool room = rx.changed.wait_for(
          lock, 1s, [&] { return sent - rx.count - written_off < options.window; });
      if (!room) written_off = sent - rx.count;
    }
    send(sent);
    ++sent;
  }
  {
    // Drain: until everything arrived or nothing has arrived for 2 s.
    std::unique_lock lock(rx.mutex);
    int seen = -1;
    while (rx.count < sent && rx.count != seen) {
      seen = rx.count;
      rx.changed.wait_for(lock, 2s, [&] { return rx.count >= sent; });
    }
  }
  (*generator)->stop();
  (*consumer)->stop();

  std::lock_guard lock(rx.mutex);
  result.sent = sent;
  result.received = rx.count;
  const double seconds = std::chrono::duration<double>(rx.last - start).count();
  if (rx.count > 0 && seconds > 0) result.messages_per_s = rx.count / seconds;
  result.p50_ms = percentile(rx.latencies_ms, 0.50);
  result.p99_ms = percentile(rx.latencies_ms, 0.99);
  return result;
}

}  // namespace edgenode::bench
