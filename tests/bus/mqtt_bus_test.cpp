// MqttBus against a real mosquitto on a free loopback port: QoS 0/1/2, wildcards,
// shared subscriptions, properties, TLS and mutual TLS, password auth, broker restart,
// backpressure.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

#include "bus/mqtt_bus.h"
#include "bus_test_util.h"
#include "support/mosquitto_broker.h"

namespace edgenode::bus {
namespace {

using edgenode::testing::MosquittoBroker;
using edgenode::testing::MosquittoBrokerOptions;
using namespace std::chrono_literals;

std::unique_ptr<MosquittoBroker> start_broker(MosquittoBrokerOptions options = {}) {
  auto broker = MosquittoBroker::start(std::move(options));
  if (!broker.ok()) ADD_FAILURE() << broker.error().message;
  return broker.ok() ? std::move(*broker) : nullptr;
}

MqttOptions options_for(const MosquittoBroker& broker, const std::string& client_id) {
  MqttOptions o;
  o.name = client_id;
  o.url = broker.url();
  o.client_id = client_id;
  o.reconnect_min = 50ms;
  o.reconnect_max = 500ms;
  o.connect_timeout = 5s;
  return o;
}

// A started bus with its events recorded.
struct Client {
  BusEvents events;  // declared first so the bus (and its thread) is gone before it
  std::unique_ptr<MqttBus> bus;
};

// Events go to `shared_events` when given (several buses into one record), else to the
// client's own.
std::unique_ptr<Client> connect(const MqttOptions& options, const std::vector<std::pair<std::string, int>>& subs = {},
                                BusEvents* shared_events = nullptr) {
  auto client = std::make_unique<Client>();
  auto bus = MqttBus::create(options);
  if (!bus.ok()) {
    ADD_FAILURE() << bus.error().message;
    return nullptr;
  }
  client->bus = std::move(*bus);
  BusEvents& events = shared_events ? *shared_events : client->events;
  events.attach(*client->bus);
  for (const auto& [filter, qos] : subs) EXPECT_TRUE(client->bus->subscribe(filter, qos).ok());
  auto started = client->bus->start();
  if (!started.ok()) {
    ADD_FAILURE() << started.error().message;
    return nullptr;
  }
  EXPECT_TRUE(client->bus->stats().connected);
  return client;
}

Message message(std::string topic, std::string payload, int qos) {
  Message m;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  m.qos = qos;
  return m;
}

TEST(MqttBus, QosZeroOneTwoInAndOut) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto sub = connect(options_for(*broker, "sub"), {{"sensors/+/temp", 2}});
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(sub && pub);
  std::vector<uint64_t> tokens;
  for (int qos : {0, 1, 2}) {
    auto token = pub->bus->publish(message("sensors/m" + std::to_string(qos) + "/temp", "q" + std::to_string(qos), qos));
    ASSERT_TRUE(token.ok()) << token.error().message;
    tokens.push_back(*token);
  }
  for (uint64_t t : tokens) EXPECT_TRUE(pub->events.wait_ack(t)) << "token " << t;
  ASSERT_TRUE(sub->events.wait_messages(3));
  std::map<std::string, int> qos_by_payload;
  for (const auto& m : sub->events.messages()) {
    qos_by_payload[m.payload] = m.qos;
    EXPECT_EQ(m.bus, "sub");
    EXPECT_GT(m.received_at_ms, 0);
  }
  EXPECT_EQ(qos_by_payload, (std::map<std::string, int>{{"q0", 0}, {"q1", 1}, {"q2", 2}}));
  auto stats = pub->bus->stats();
  EXPECT_EQ(stats.published, 3u);
  EXPECT_EQ(stats.acked, 3u);
  EXPECT_TRUE(stats.connected);
  EXPECT_EQ(sub->bus->stats().received, 3u);
}

TEST(MqttBus, WildcardsMatchPerSpec) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto sub = connect(options_for(*broker, "sub"), {{"plant/#", 1}, {"line/+/speed", 1}});
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(sub && pub);
  for (const char* topic : {"plant", "plant/a/b", "line/2/speed", "line/2/speed/x", "other/x", "line/speed"})
    ASSERT_TRUE(pub->bus->publish(message(topic, topic, 1)).ok());
  ASSERT_TRUE(pub->bus->publish(message("plant/end", "end", 1)).ok());
  // One client's QoS 1 messages arrive in order, so "end" comes last.
  ASSERT_TRUE(sub->events.wait_payload("end"));
  std::vector<std::string> topics;
  for (const auto& m : sub->events.messages()) topics.push_back(m.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"plant", "plant/a/b", "line/2/speed", "plant/end"}));
}

TEST(MqttBus, SharedSubscriptionSplitsMessages) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  BusEvents group;  // both workers record here; Message::bus tells them apart
  auto a = connect(options_for(*broker, "worker-a"), {{"$share/edge/jobs/#", 1}}, &group);
  auto b = connect(options_for(*broker, "worker-b"), {{"$share/edge/jobs/#", 1}}, &group);
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(a && b && pub);
  // Both subscriptions are active once each worker has received a probe.
  std::map<std::string, int> per_worker;
  for (int i = 0; i < 200 && per_worker.size() < 2; ++i) {
    ASSERT_TRUE(pub->bus->publish(message("jobs/probe", "probe", 1)).ok());
    group.wait_messages(static_cast<std::size_t>(i + 1), 50ms);
    per_worker.clear();
    for (const auto& m : group.messages()) ++per_worker[m.bus];
  }
  ASSERT_EQ(per_worker.size(), 2u) << "shared subscriptions never both became active";
  const std::size_t base = group.message_count();
  constexpr int kMessages = 40;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(pub->bus->publish(message("jobs/" + std::to_string(i), "x", 1)).ok());
  ASSERT_TRUE(group.wait_messages(base + kMessages));
  per_worker.clear();
  auto all = group.messages();
  for (std::size_t i = base; i < all.size(); ++i) ++per_worker[all[i].bus];
  EXPECT_EQ(all.size(), base + kMessages) << "a message went to both workers";
  EXPECT_GT(per_worker["worker-a"], 0);
  EXPECT_GT(per_worker["worker-b"], 0);
}

TEST(MqttBus, PropertiesRoundTrip) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto sub = connect(options_for(*broker, "sub"), {{"props/#", 1}});
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(sub && pub);
  Message m = message("props/a", R"({"v":1})", 1);
  m.content_type = "application/json";
  m.expiry_s = 600;
  m.user_properties = {{"trace_id", "00112233aabbccdd"}, {"pipeline", "triage"}, {"pipeline", "second"}};
  ASSERT_TRUE(pub->bus->publish(m).ok());
  ASSERT_TRUE(pub->bus->publish(message("props/b", "plain", 1)).ok());
  ASSERT_TRUE(sub->events.wait_messages(2));
  auto got = sub->events.messages();
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_GT(got[0].expiry_s, 0u);
  EXPECT_LE(got[0].expiry_s, 600u);
  EXPECT_EQ(got[0].user_properties, m.user_properties);
  EXPECT_EQ(got[0].trace_id, "00112233aabbccdd");
  EXPECT_EQ(got[1].content_type, "");
  EXPECT_EQ(got[1].trace_id.size(), 16u);
  EXPECT_EQ(got[1].trace_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(got[1].trace_id, got[0].trace_id);
}

TEST(MqttBus, TlsWithGeneratedCa) {
  MosquittoBrokerOptions tls;
  tls.tls = true;
  auto broker = start_broker(tls);
  ASSERT_TRUE(broker);
  auto o = options_for(*broker, "tls-client");
  o.ca_file = broker->ca_file();
  auto client = connect(o, {{"secure/#", 1}});
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->bus->publish(message("secure/x", "over tls", 1)).ok());
  ASSERT_TRUE(client->events.wait_messages(1));
  EXPECT_EQ(client->events.messages()[0].payload, "over tls");
}

TEST(MqttBus, TlsRejectsUntrustedServer) {
  MosquittoBrokerOptions tls;
  tls.tls = true;
  auto broker = start_broker(tls);
  ASSERT_TRUE(broker);
  auto o = options_for(*broker, "tls-client");
  o.ca_file = broker->foreign_cert_file();  // a CA that did not sign the server
  auto bus = MqttBus::create(o);
  ASSERT_TRUE(bus.ok()) << bus.error().message;
  auto started = (*bus)->start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("TLS handshake"), std::string::npos) << started.error().message;
}

TEST(MqttBus, MutualTls) {
  MosquittoBrokerOptions mtls;
  mtls.require_client_cert = true;
  auto broker = start_broker(mtls);
  ASSERT_TRUE(broker);
  auto o = options_for(*broker, "mtls-client");
  o.ca_file = broker->ca_file();
  o.cert_file = broker->client_cert_file();
  o.key_file = broker->client_key_file();
  auto client = connect(o, {{"m/#", 2}});
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->bus->publish(message("m/1", "mutual", 2)).ok());
  ASSERT_TRUE(client->events.wait_messages(1));

  for (bool with_foreign_cert : {false, true}) {
    auto refused = options_for(*broker, "no-client-cert");
    refused.ca_file = broker->ca_file();
    if (with_foreign_cert) {
      refused.cert_file = broker->foreign_cert_file();
      refused.key_file = broker->foreign_key_file();
    }
    auto bus = MqttBus::create(refused);
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    auto started = (*bus)->start();
    ASSERT_FALSE(started.ok()) << "foreign cert: " << with_foreign_cert;
    EXPECT_NE(started.error().message.find("TLS handshake"), std::string::npos) << started.error().message;
  }
}

TEST(MqttBus, PasswordAuth) {
  MosquittoBrokerOptions auth;
  auth.users = {{"edge", "s3cret"}};
  auto broker = start_broker(auth);
  ASSERT_TRUE(broker);
  auto good = options_for(*broker, "good");
  good.username = "edge";
  good.password = "s3cret";
  auto client = connect(good);
  ASSERT_TRUE(client);

  auto bad = good;
  bad.client_id = "bad";
  bad.password = "wrong";
  auto bus = MqttBus::create(bad);
  ASSERT_TRUE(bus.ok());
  auto started = (*bus)->start();
  ASSERT_FALSE(started.ok());
  // mosquitto 2.0 answers MQTT 5 clients with "not authorized" (0x87), other brokers
  // with "bad user name or password" (0x86); both name the cause.
  const std::string& reason = started.error().message;
  EXPECT_EQ(reason.rfind("MQTT connection refused: ", 0), 0u) << reason;
  EXPECT_TRUE(reason.find("user name or password") != std::string::npos) << reason;
  EXPECT_FALSE((*bus)->stats().connected);
}

TEST(MqttBus, BrokerRestartMidStreamReconnectsAndResubscribes) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto sub = connect(options_for(*broker, "sub"), {{"stream/#", 1}});
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(sub && pub);

  // A publisher that keeps going through the outage, retrying while disconnected.
  std::atomic<bool> stop{false};
  std::atomic<int> next_id{0};
  // Each publish waits for its ack, which paces the stream; while the broker is away
  // publish fails fast and the stream waits for the reconnect.
  std::thread stream([&] {
    while (!stop) {
      auto token = pub->bus->publish(message("stream/data", std::to_string(next_id.load()), 1));
      if (token.ok()) {
        ++next_id;
        pub->events.wait_ack(*token, 2s);
      } else {
        pub->events.wait_connects(1, 50ms);
      }
    }
  });
  ASSERT_TRUE(sub->events.wait_messages(50));
  broker->kill9();
  ASSERT_TRUE(sub->events.wait_disconnected());
  ASSERT_TRUE(broker->restart().ok());
  ASSERT_TRUE(sub->events.wait_connects(2));
  ASSERT_TRUE(pub->events.wait_connects(2));
  // The subscriber's clean session was lost with the broker; messages only flow again
  // if it subscribed anew. Once they do, none of the stream may be missing.
  const std::size_t before = sub->events.message_count();
  ASSERT_TRUE(sub->events.wait_messages(before + 100)) << "the stream did not resume";
  stop = true;
  stream.join();
  std::set<int> ids;
  for (const auto& m : sub->events.messages()) ids.insert(std::stoi(m.payload));
  const int last = *ids.rbegin();
  for (int id = last - 80; id <= last; ++id) EXPECT_TRUE(ids.count(id)) << "missing " << id;
  EXPECT_GE(sub->bus->stats().reconnects, 1u);
  EXPECT_GE(pub->bus->stats().reconnects, 1u);
}

TEST(MqttBus, StartsWhileBrokerDownAndConnectsLater) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  broker->kill9();
  BusEvents events;
  auto bus = MqttBus::create(options_for(*broker, "early"));
  ASSERT_TRUE(bus.ok());
  events.attach(**bus);
  ASSERT_TRUE((*bus)->start().ok());  // retrying in the background
  EXPECT_FALSE((*bus)->stats().connected);
  auto refused = (*bus)->publish(message("t", "x", 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);
  ASSERT_TRUE(broker->restart().ok());
  EXPECT_TRUE(events.wait_connects(1));
}

TEST(MqttBus, PauseInputHoldsMessagesUntilResume) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto sub = connect(options_for(*broker, "sub"), {{"bp/#", 1}});
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(sub && pub);
  const std::size_t base = sub->events.message_count();
  sub->bus->pause_input();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(pub->bus->publish(message("bp/x", std::to_string(i), 1)).ok());
  EXPECT_FALSE(sub->events.wait_messages(base + 1, 300ms)) << "delivered while paused";
  sub->bus->resume_input();
  EXPECT_TRUE(sub->events.wait_messages(base + 20));
}

TEST(MqttBus, PersistentSessionKeepsSubscriptionsAndQueuedMessages) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto persistent = options_for(*broker, "durable-consumer");
  persistent.persistent_session = true;
  persistent.session_expiry_s = 300;
  {
    auto first = connect(persistent, {{"queue/#", 1}});
    ASSERT_TRUE(first);
  }  // a clean disconnect; the session stays on the broker
  auto pub = connect(options_for(*broker, "pub"));
  ASSERT_TRUE(pub);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pub->bus->publish(message("queue/x", "q" + std::to_string(i), 1)).ok());
  // The same client id comes back without subscribing: the broker still has its
  // subscription and the messages queued while it was away.
  auto again = connect(persistent);
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->events.wait_payload("q4"));
  EXPECT_EQ(again->events.message_count(), 5u);
}

TEST(MqttBus, LastWillAnnouncesOfflineWhenTheNodeDies) {
  auto broker = start_broker();
  ASSERT_TRUE(broker);
  auto watcher = connect(options_for(*broker, "watcher"), {{"edgenode/+/status", 1}});
  ASSERT_TRUE(watcher);
  // A separate process (not fork: the test process already runs threads).
  std::vector<std::string> args{EDGENODE_WILL_NODE, broker->url(), "node-1", "edgenode/node-1/status"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = -1;
  ASSERT_EQ(posix_spawn(&child, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  ASSERT_TRUE(watcher->events.wait_payload("online"));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the node process failed before dying, exit code " << WEXITSTATUS(status);
  ASSERT_TRUE(watcher->events.wait_payload("offline"));
  auto last = watcher->events.messages().back();
  EXPECT_EQ(last.topic, "edgenode/node-1/status");
}

TEST(MqttBus, RejectsBadOptionsAndTopics) {
  MqttOptions o;
  o.url = "http://broker";
  auto bad_url = MqttBus::create(o);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().message, "MQTT url 'http://broker' must start with mqtt:// or mqtts://");
  o.url = "mqtt://127.0.0.1:1";
  o.persistent_session = true;
  auto no_id = MqttBus::create(o);
  ASSERT_FALSE(no_id.ok());
  EXPECT_NE(no_id.error().message.find("persistent session needs a client_id"), std::string::npos);
  o.persistent_session = false;
  auto bus = MqttBus::create(o);
  ASSERT_TRUE(bus.ok());
  EXPECT_FALSE((*bus)->subscribe("a/#/b", 1).ok());
  EXPECT_FALSE((*bus)->subscribe("a", 3).ok());
  auto wildcard_publish = (*bus)->publish(message("a/+", "x", 0));
  ASSERT_FALSE(wildcard_publish.ok());
  EXPECT_EQ(wildcard_publish.error().message, "topic 'a/+' contains a wildcard");
}

}  // namespace
}  // namespace edgenode::bus
