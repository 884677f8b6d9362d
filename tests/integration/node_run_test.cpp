// `edgenode run` end to end: a real mosquitto, the real node process, a probe client.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_get.h"
#include "mqtt_probe.h"
#include "node_process.h"
#include "node_site.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kConfig = R"y(node:
  id: itest
  bus: {mqtt: {url: "${BROKER_URL}", client_id: itest-node}}
  telemetry: {interval: 200ms}
  drain_timeout: 5s
  http: {listen: "127.0.0.1:0"}
pipelines:
  - name: json-in
    input: {topics: ["in/json/+"], qos: 1, format: json}
    when: "payload.v >= 0"
    post: [{set: {field: v, expr: "payload.v"}}, {set: {field: device, expr: "topic_levels[2]"}}]
    output: {topic: "out/json/{{ topic_levels[2] }}", qos: 1}
  - name: msgpack-in
    input: {topics: ["in/msgpack"], qos: 2, format: msgpack}
    post: [{set: {field: v, expr: "payload.v"}}]
    output: {topic: "out/msgpack", qos: 2, format: msgpack}
  - name: shared-in
    input: {topics: ["$share/edge/in/shared/+"], qos: 1, format: json}
    post: [{set: {field: level, expr: "topic_levels[2]"}}]
    output: {topic: "out/shared"}
  - name: text-in
    input: {topics: ["in/text"], qos: 0, format: text}
    post: [{set: {field: text, expr: "payload"}}]
    output: {topic: "out/text", qos: 0, format: text}
)y";

std::string property(const bus::Message& m, const std::string& key) {
  for (const auto& [k, v] : m.user_properties) {
    if (k == key) return v;
  }
  return {};
}

class NodeRun : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = MosquittoBroker::start();
    ASSERT_TRUE(broker.ok()) << broker.error().message;
    broker_ = std::move(broker).value();
    config_ = (broker_->dir() / "node.yaml").string();
    std::ofstream(config_) << kConfig;
    ::setenv("BROKER_URL", broker_->url().c_str(), 1);
    probe_ = std::make_unique<MqttProbe>(broker_->url(), std::vector<std::string>{"out/#", "edgenode/itest/#"});
    node_ = std::make_unique<NodeProcess>(std::vector<std::string>{"run", config_}, (broker_->dir() / "node.log").string());
    auto online = probe_->wait_for([](const bus::Message& m) {
      return m.topic == "edgenode/itest/status" && m.payload.find("\"online\"") != std::string::npos;
    });
    ASSERT_TRUE(online.has_value()) << node_->log();
    status_ = json::parse(online->payload);
  }
  void TearDown() override {
    node_.reset();
    probe_.reset();
  }

  std::unique_ptr<MosquittoBroker> broker_;
  std::string config_;
  std::unique_ptr<MqttProbe> probe_;
  std::unique_ptr<NodeProcess> node_;
  json status_;
};

TEST_F(NodeRun, StatusSaysOnlineWithVersionAndPipelines) {
  EXPECT_EQ(status_["node"], "itest");
  EXPECT_EQ(status_["pipelines"], (json{"json-in", "msgpack-in", "shared-in", "text-in"}));
  EXPECT_FALSE(status_["version"].get<std::string>().empty());
}

TEST_F(NodeRun, HttpMetricsHealthAndReadiness) {
  const int p = logged_http_port(node_->log());
  ASSERT_NE(p, 0) << node_->log();
  EXPECT_EQ(http_get(p, "/healthz").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(http_get(p, "/readyz").rfind("HTTP/1.1 200", 0), 0u);
  probe_->publish("in/json/m", R"({"v": 3})", 1);
  ASSERT_TRUE(probe_->wait_for(on_topic("out/json/m")).has_value());
  const std::string metrics = http_get(p, "/metrics");
  EXPECT_NE(metrics.find("edgenode_pipeline_out_total{pipeline=\"json-in\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("edgenode_bus_connected{bus=\"default\"} 1"), std::string::npos) << metrics;
}

TEST_F(NodeRun, JsonMsgpackAndTextAtEachQos) {
  probe_->publish("in/json/dev1", R"({"v": 7, "secret": "stays on site"})", 1);
  const auto bytes = json::to_msgpack(json{{"v", 8}});
  probe_->publish("in/msgpack", std::string(bytes.begin(), bytes.end()), 2);
  probe_->publish("in/text", "hello there", 0);

  auto j = probe_->wait_for(on_topic("out/json/dev1"));
  ASSERT_TRUE(j.has_value()) << node_->log();
  EXPECT_EQ(json::parse(j->payload), (json{{"v", 7}, {"device", "dev1"}}));
  EXPECT_EQ(j->qos, 1);
  EXPECT_EQ(property(*j, "pipeline"), "json-in");
  EXPECT_EQ(property(*j, "trace_id").size(), 16u);
  EXPECT_FALSE(property(*j, "latency_ms").empty());

  auto m = probe_->wait_for(on_topic("out/msgpack"));
  ASSERT_TRUE(m.has_value()) << node_->log();
  EXPECT_EQ(json::from_msgpack(m->payload), (json{{"v", 8}}));
  EXPECT_EQ(m->qos, 2);
  EXPECT_EQ(m->content_type, "application/msgpack");

  auto t = probe_->wait_for(on_topic("out/text"));
  ASSERT_TRUE(t.has_value()) << node_->log();
  EXPECT_EQ(t->payload, "hello there");
  EXPECT_EQ(t->qos, 0);
}

TEST_F(NodeRun, WildcardsAndSharedSubscriptions) {
  probe_->publish("in/json/deep/er", R"({"v": 1})", 1);  // '+' matches one level only
  probe_->publish("in/shared/a", R"({"x": 1})", 1);
  probe_->publish("in/shared/b", R"({"x": 2})", 1);
  const auto shared = probe_->wait_count(on_topic("out/shared"), 2);
  ASSERT_EQ(shared.size(), 2u) << node_->log();
  EXPECT_EQ(json::parse(shared[0].payload)["level"], "a");
  EXPECT_EQ(json::parse(shared[1].payload)["level"], "b");
  EXPECT_FALSE(probe_->wait_for(on_topic("out/json/deep"), std::chrono::milliseconds(200)).has_value());
}

TEST_F(NodeRun, MalformedPayloadsAreDeadLetteredWhileValidOnesFlow) {
  struct Bad {
    std::string topic, payload, pipeline;
  };
  const std::vector<Bad> corpus = {
      {"in/json/a", R"({"v": 1, "unfinished)", "json-in"},
      {"in/json/a", std::string(100000, '['), "json-in"},
      {"in/json/a", "{\"v\": 1, \"s\": \"" + std::string(2 << 20, 'x') + "\"}", "json-in"},
      {"in/json/a", "{\"v\": \"\xff\xfe\"}", "json-in"},
      {"in/json/a", R"({"no_v": true})", "json-in"},
      {"in/msgpack", "\xc1\xc1\xc1", "msgpack-in"},
      {"in/text", "bad \xc3\x28 utf8", "text-in"},
  };
  int sent = 0;
  for (const auto& bad : corpus) {
    probe_->publish(bad.topic, bad.payload, 1);
    probe_->publish("in/json/ok", "{\"v\": " + std::to_string(sent++) + "}", 1);
  }
  const auto dead = probe_->wait_count(
      [](const bus::Message& m) { return m.topic.rfind("edgenode/itest/deadletter/", 0) == 0; }, corpus.size());
  ASSERT_EQ(dead.size(), corpus.size()) << node_->log();
  std::map<std::string, int> per_pipeline;
  for (const auto& d : dead) {
    const json record = json::parse(d.payload);
    EXPECT_FALSE(record["reason"].get<std::string>().empty());
    EXPECT_EQ(record["payload_sha256"].get<std::string>().size(), 64u);
    EXPECT_FALSE(record.contains("payload"));
    EXPECT_EQ(d.topic, "edgenode/itest/deadletter/" + record["pipeline"].get<std::string>());
    per_pipeline[record["pipeline"].get<std::string>()]++;
  }
  EXPECT_EQ(per_pipeline["json-in"], 5);
  EXPECT_EQ(per_pipeline["msgpack-in"], 1);
  EXPECT_EQ(per_pipeline["text-in"], 1);
  // Every valid message still came through, in order.
  const auto ok = probe_->wait_count(on_topic("out/json/ok"), corpus.size());
  ASSERT_EQ(ok.size(), corpus.size());
  for (size_t i = 0; i < ok.size(); ++i) EXPECT_EQ(json::parse(ok[i].payload)["v"], i);
}

TEST_F(NodeRun, TelemetryCountsAndSigtermPublishesOffline) {
  probe_->publish("in/json/x", R"({"v": 1})", 1);
  probe_->publish("in/json/x", R"({"v": -1})", 1);
  auto telemetry = probe_->wait_for([](const bus::Message& m) {
    if (m.topic != "edgenode/itest/telemetry") return false;
    const json t = json::parse(m.payload);
    return t["pipelines"]["json-in"]["out"] == 1 && t["pipelines"]["json-in"]["filtered"] == 1;
  });
  ASSERT_TRUE(telemetry.has_value()) << node_->log();
  const json t = json::parse(telemetry->payload);
  EXPECT_GT(t["process"]["rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_TRUE(t["buses"]["default"]["connected"].get<bool>());
  EXPECT_GE(t["pipelines"]["json-in"]["in"].get<int>(), 2);
  EXPECT_TRUE(t["pipelines"]["json-in"].contains("latency_ms"));

  EXPECT_EQ(node_->stop(SIGTERM, std::chrono::seconds(10)), 0) << node_->log();
  auto offline = probe_->wait_for([](const bus::Message& m) {
    return m.topic == "edgenode/itest/status" && m.payload.find("\"offline\"") != std::string::npos;
  });
  EXPECT_TRUE(offline.has_value()) << node_->log();
}

TEST(NodeRunRefusal, BadPasswordIsAClearError) {
  MosquittoBrokerOptions options;
  options.users = {{"node", "right"}};
  auto broker = MosquittoBroker::start(options);
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const auto config = (*broker)->dir() / "node.yaml";
  std::ofstream(config) << "node:\n  id: refused\n  bus: {mqtt: {url: \"" << (*broker)->url()
                        << "\", username: node, password: Zq9-not-this}}\npipelines:\n"
                           "  - name: p\n    input: {topics: [a]}\n    output: {topic: b}\n";
  NodeProcess node({"run", config.string()}, ((*broker)->dir() / "node.log").string());
  EXPECT_EQ(node.wait_exit(std::chrono::seconds(15)), 1) << node.log();
  // The node's last line names the bus and the cause.
  const auto lines = lines_starting_with(node.log(), "edgenode: ");
  ASSERT_EQ(lines.size(), 1u) << node.log();
  EXPECT_EQ(last_line(node.log()), lines[0]);
  EXPECT_EQ(lines[0].rfind("edgenode: bus 'default': MQTT connection refused: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("user name or password"), std::string::npos) << lines[0];
  EXPECT_EQ(node.log().find("Zq9-not-this"), std::string::npos) << "the password must never be printed";
}

}  // namespace
}  // namespace edgenode::testing
