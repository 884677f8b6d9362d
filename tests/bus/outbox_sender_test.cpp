// Store-and-forward through a real broker: outputs wait in the journal while the
// broker is away (or the node restarts) and are delivered in order, none missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "bus/journal.h"
#include "bus/mqtt_bus.h"
#include "bus/outbox_sender.h"
#include "bus_test_util.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"

namespace edgenode::bus {
namespace {

namespace fs = std::filesystem;
using edgenode::testing::MosquittoBroker;
using edgenode::testing::MosquittoBrokerOptions;
using namespace std::chrono_literals;

using testing::TempDir;

MqttOptions options_for(const MosquittoBroker& broker, const std::string& client_id) {
  MqttOptions o;
  o.name = "upstream";
  o.url = broker.url();
  o.client_id = client_id;
  o.reconnect_min = 50ms;
  o.reconnect_max = 300ms;
  o.connect_timeout = 5s;
  return o;
}

// Adds `count` outputs numbered from `first`, each from its own finished input.
void add_outputs(Journal& journal, OutboxSender& sender, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    Message in;
    in.bus = "site";
    in.topic = "sensors/x";
    in.payload = std::to_string(i);
    in.qos = 1;
    const int64_t id = *journal.record_input(in);
    Message out;
    out.bus = "upstream";
    out.topic = "results/x";
    out.payload = std::to_string(i);
    out.qos = 1;
    ASSERT_TRUE(journal.add_output(id, "triage", 0, out).ok());
    ASSERT_TRUE(journal.finish_input(id).ok());
  }
  sender.notify();
}

// Payloads received, in arrival order, as numbers; and whether each output_id matched.
std::vector<int> received_numbers(const BusEvents& events) {
  std::vector<int> numbers;
  for (const auto& m : events.messages()) numbers.push_back(std::stoi(m.payload));
  return numbers;
}

// First arrivals must be 0..n-1 in order; later copies are duplicates of in-flight outputs.
void expect_all_in_order(const std::vector<int>& numbers, int n) {
  std::vector<int> first_seen;
  std::set<int> seen;
  for (int x : numbers)
    if (seen.insert(x).second) first_seen.push_back(x);
  ASSERT_EQ(static_cast<int>(first_seen.size()), n);
  for (int i = 0; i < n; ++i) EXPECT_EQ(first_seen[i], i) << "out of order at " << i;
}

TEST(OutboxSender, StoresDuringAnOutageAndDeliversInOrder) {
  MosquittoBrokerOptions persistent;
  persistent.persistence = true;  // a clean stop saves the consumer's session
  auto broker_result = MosquittoBroker::start(persistent);
  ASSERT_TRUE(broker_result.ok()) << broker_result.error().message;
  auto& broker = **broker_result;
  TempDir dir;
  JournalOptions jo;
  jo.path = (dir.path / "journal.db").string();
  auto journal = std::move(Journal::open(jo).value());

  auto consumer_options = options_for(broker, "consumer");
  consumer_options.name = "consumer";
  consumer_options.persistent_session = true;
  BusEvents received;
  auto consumer = std::move(MqttBus::create(consumer_options).value());
  received.attach(*consumer);
  ASSERT_TRUE(consumer->subscribe("results/#", 1).ok());
  ASSERT_TRUE(consumer->start().ok());

  auto upstream = std::move(MqttBus::create(options_for(broker, "node")).value());
  OutboxSender sender(*journal, *upstream);
  ASSERT_TRUE(upstream->start().ok());
  sender.start();

  add_outputs(*journal, sender, 0, 50);
  ASSERT_TRUE(received.wait_messages(50));

  broker.stop();
  add_outputs(*journal, sender, 50, 150);  // inputs keep coming while the broker is away
  EXPECT_EQ(journal->stats().outbox_messages, 150u) << "stored on disk while the broker is away";
  ASSERT_TRUE(broker.restart().ok());
  ASSERT_TRUE(received.wait_payload("199", 20s));
  auto numbers = received_numbers(received);
  expect_all_in_order(numbers, 200);
  for (const auto& m : received.messages()) {
    bool has_id = false;
    for (const auto& [k, v] : m.user_properties) has_id = has_id || (k == "output_id" && v.ends_with("/triage/0"));
    EXPECT_TRUE(has_id) << "output " << m.payload << " lacks its output_id";
  }
  // Every output acked, every input done (the last acks may trail the last delivery).
  for (int i = 0; i < 100 && journal->stats().outbox_messages > 0; ++i) received.wait([] { return false; }, 50ms);
  EXPECT_EQ(journal->stats().outbox_messages, 0u);
  EXPECT_EQ(journal->stats().inbox_open, 0u);
  EXPECT_GE(sender.stats().acked, 200u);
  upstream->stop();  // before the sender its handlers point to goes away
  consumer->stop();
}

TEST(OutboxSender, OutputsSurviveANodeRestart) {
  auto broker_result = MosquittoBroker::start();
  ASSERT_TRUE(broker_result.ok()) << broker_result.error().message;
  auto& broker = **broker_result;
  TempDir dir;
  JournalOptions jo;
  jo.path = (dir.path / "journal.db").string();
  {
    // The node produced outputs while its upstream broker was unreachable, then stopped.
    broker.kill9();
    auto journal = std::move(Journal::open(jo).value());
    auto upstream = std::move(MqttBus::create(options_for(broker, "node")).value());
    OutboxSender sender(*journal, *upstream);
    ASSERT_TRUE(upstream->start().ok());
    sender.start();
    add_outputs(*journal, sender, 0, 30);
    EXPECT_EQ(sender.stats().sent, 0u);
    upstream->stop();
  }
  ASSERT_TRUE(broker.restart().ok());
  BusEvents received;
  auto consumer = std::move(MqttBus::create(options_for(broker, "consumer")).value());
  received.attach(*consumer);
  ASSERT_TRUE(consumer->subscribe("results/#", 1).ok());
  ASSERT_TRUE(consumer->start().ok());

  auto journal = std::move(Journal::open(jo).value());
  EXPECT_EQ(journal->stats().outbox_messages, 30u);
  auto upstream = std::move(MqttBus::create(options_for(broker, "node")).value());
  OutboxSender sender(*journal, *upstream);
  ASSERT_TRUE(upstream->start().ok());
  sender.start();
  ASSERT_TRUE(received.wait_payload("29"));
  expect_all_in_order(received_numbers(received), 30);
  upstream->stop();
  consumer->stop();
}

}  // namespace
}  // namespace edgenode::bus
