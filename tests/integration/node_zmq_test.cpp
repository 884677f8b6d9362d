// ZeroMQ in, MQTT out: a PUSH peer sends [topic, payload] frames to the node's PULL bus.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "mqtt_probe.h"
#include "node_process.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

using nlohmann::json;

TEST(NodeZmq, PullInputToMqttOutput) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  auto port = free_loopback_port();
  ASSERT_TRUE(port.ok());
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(*port);
  const auto config = (*broker)->dir() / "zmq.yaml";
  std::ofstream(config) << "node:\n  id: zq\n  bus: {mqtt: {url: \"" << (*broker)->url() << "\"}}\n"
                        << "  buses:\n    plc: {zmq: {pull: \"" << endpoint << "\", bind: true}}\n"
                        << R"y(pipelines:
  - name: plc
    input: {bus: plc, topics: ["plc/#"], format: text}
    when: "payload != 'RUN'"
    post: [{set: {field: state, expr: "payload"}}, {set: {field: cell, expr: "topic_levels[1]"}}]
    output: {topic: "cells/{{ topic_levels[1] }}/state", qos: 1}
)y";
  MqttProbe probe((*broker)->url(), {"cells/#", "edgenode/zq/status"});
  NodeProcess node({"run", config.string()}, ((*broker)->dir() / "node.log").string());
  ASSERT_TRUE(probe.wait_for(on_topic("edgenode/zq/status")).has_value()) << node.log();

  zmq::context_t context;
  zmq::socket_t push(context, zmq::socket_type::push);
  push.connect(endpoint);
  for (const char* state : {"RUN", "FAULT", "RUN", "STOP"}) {
    push.send(zmq::str_buffer("plc/c4"), zmq::send_flags::sndmore);
    push.send(zmq::buffer(std::string(state)), zmq::send_flags::none);
  }
  const auto states = probe.wait_count(on_topic("cells/c4/state"), 2);
  ASSERT_EQ(states.size(), 2u) << node.log();
  EXPECT_EQ(json::parse(states[0].payload), (json{{"state", "FAULT"}, {"cell", "c4"}}));
  EXPECT_EQ(json::parse(states[1].payload)["state"], "STOP");
  EXPECT_EQ(node.stop(SIGTERM, std::chrono::seconds(10)), 0) << node.log();
}

}  // namespace
}  // namespace edgenode::testing
