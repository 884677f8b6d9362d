// SIGHUP reloads the config of a running `edgenode run`: a config with errors is refused with
// file:line:col and the running pipelines go on; a good one takes over.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "node_site.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::string config_with_output(const std::string& broker_url, const std::string& output_topic) {
  return "node:\n"
         "  id: reload\n"
         "  bus: {mqtt: {url: \"" + broker_url + "\", client_id: reload-node, session: persistent}}\n"
         "  telemetry: {interval: 200ms}\n"
         "pipelines:\n"
         "  - name: relay\n"
         "    input: {topics: [\"in/+\"], qos: 1, format: json}\n"
         "    post: [{set: {field: v, expr: \"payload.v\"}}]\n"
         "    output: {topic: \"" + output_topic + "\", qos: 1}\n";
}

TEST(NodeReload, BadConfigIsRefusedAndTheRunningOneStaysThenAGoodOneTakesOver) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const std::string path = ((*broker)->dir() / "node.yaml").string();
  std::ofstream(path) << config_with_output((*broker)->url(), "out/first");
  MqttProbe probe((*broker)->url(), {"out/#"});
  NodeProcess node({"run", path}, ((*broker)->dir() / "node.log").string());
  ASSERT_TRUE(log_shows(node, "node_started")) << node.log();

  probe.publish("in/a", R"({"v": 1})", 1);
  ASSERT_TRUE(probe.wait_for(on_topic("out/first")).has_value()) << node.log();

  // Two mistakes: an unknown key and an expression that does not parse.
  std::ofstream(path) << config_with_output((*broker)->url(), "out/second") << "    qeue: {max: 10}\n"
                      << "    when: \"payload.v >\"\n";
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "reload_refused errors=2")) << node.log();
  const std::string log = node.log();
  EXPECT_NE(log.find(path + ":10:5: "), std::string::npos) << "the unknown key, by line and column\n" << log;
  EXPECT_NE(log.find("did you mean 'queue'"), std::string::npos) << log;
  probe.publish("in/a", R"({"v": 2})", 1);
  const auto still = probe.wait_for([](const bus::Message& m) {
    return m.topic == "out/first" && json::parse(m.payload)["v"] == 2;
  });
  EXPECT_TRUE(still.has_value()) << "the running config goes on\n" << node.log();

  std::ofstream(path) << config_with_output((*broker)->url(), "out/second");
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "reload_done")) << node.log();
  probe.publish("in/a", R"({"v": 3})", 1);
  const auto moved = probe.wait_for([](const bus::Message& m) {
    return m.topic == "out/second" && json::parse(m.payload)["v"] == 3;
  });
  EXPECT_TRUE(moved.has_value()) << "the new config runs\n" << node.log();
  EXPECT_EQ(node.stop(SIGTERM, seconds(10)), 0) << node.log();
}

}  // namespace
}  // namespace edgenode::testing
