// A stand-in node for the last-will test: connects with a will on its status topic,
// publishes "online" (retained), waits for the broker's ack, then dies with SIGKILL so
// the broker has to publish the will. Usage: will_node <url> <client_id> <status_topic>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "bus/mqtt_bus.h"

int main(int argc, char** argv) {
  using namespace edgenode::bus;
  if (argc != 4) {
    std::fprintf(stderr, "usage: will_node <url> <client_id> <status_topic>\n");
    return 2;
  }
  MqttOptions options;
  options.url = argv[1];
  options.client_id = argv[2];
  options.will = MqttWill{argv[3], "offline", 1, true};
  auto bus = MqttBus::create(options);
  if (!bus.ok()) return 3;
  std::mutex mutex;
  std::condition_variable acked;
  bool done = false;
  (*bus)->on_ack([&](uint64_t) {
    std::lock_guard lock(mutex);
    done = true;
    acked.notify_all();
  });
  if (!(*bus)->start().ok()) return 4;
  Message online;
  online.topic = argv[3];
  online.payload = "online";
  online.qos = 1;
  online.retain = true;
  if (!(*bus)->publish(online).ok()) return 5;
  std::unique_lock lock(mutex);
  if (!acked.wait_for(lock, std::chrono::seconds(10), [&] { return done; })) return 6;
  ::raise(SIGKILL);
  return 7;
}
