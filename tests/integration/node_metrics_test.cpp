// GET /metrics of the real `edgenode run` carries what telemetry reports for the models'
// batching and the raw archive, under Prometheus names with the right TYPE.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_get.h"
#include "node_site.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

// The value of the sample whose name and labels are exactly `series`, if /metrics has it.
std::optional<double> sample_value(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + ' ', 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// The family's type from its `# TYPE` line, or empty.
std::string family_type(const std::string& metrics, const std::string& family) {
  const std::string prefix = "# TYPE " + family + ' ';
  const size_t at = metrics.find(prefix);
  if (at == std::string::npos) return {};
  return metrics.substr(at + prefix.size(), metrics.find('\n', at) - at - prefix.size());
}

TEST(NodeMetrics, ModelBatchingAndArchiveCountersMatchTelemetry) {
  const fs::path model = shipped_model();
  if (!fs::exists(model)) GTEST_SKIP() << "the project's model " << model << " is absent";
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const std::string path = (dir / "node.yaml").string();
  std::ofstream(path) << "node:\n  id: metrics\n"
                      << "  bus: {mqtt: {url: \"" << (*broker)->url() << "\", client_id: metrics-node}}\n"
                      << "  telemetry: {interval: 200ms}\n"
                      << "  http: {listen: \"127.0.0.1:0\"}\n"
                      << "  archive: {path: " << (dir / "archive.db").string() << "}\n"
                      << "models:\n  triage: {path: \"" << model.string()
                      << "\", threads: 1, context: 128, max_sequences: 2}\n"
                      << R"y(pipelines:
  - name: triage
    input: {topics: ["in/+"], qos: 1, format: json}
    prompt:
      user: "machine {{ topic_levels[1] }} vibration {{ payload.v }} mm/s"
    infer: {model: triage, max_tokens: 4, temperature: 0}
    output: {topic: "out/{{ topic_levels[1] }}", qos: 1}
)y";
  MqttProbe probe((*broker)->url(), {"out/#", "edgenode/metrics/#"});
  NodeProcess node({"run", path}, (dir / "node.log").string());
  ASSERT_TRUE(wait_online(probe, "metrics").has_value()) << node.log();
  const int port = logged_http_port(node.log());
  ASSERT_NE(port, 0) << node.log();

  probe.publish("in/m1", R"({"v": 1.5})", 1);
  probe.publish("in/m2", R"({"v": 7.5})", 1);
  probe.publish("in/m3", "{not json", 1);  // dead-lettered, so archived
  ASSERT_EQ(probe.wait_count([](const bus::Message& m) { return m.topic.rfind("out/", 0) == 0; }, 2, seconds(30)).size(),
            2u)
      << node.log();
  // The archive is written in the background: a telemetry record that shows the entry.
  const auto telemetry = probe.wait_for(
      [](const bus::Message& m) {
        if (m.topic != "edgenode/metrics/telemetry") return false;
        const json t = json::parse(m.payload);
        return t["archive"]["kept"] == 1 && t["models"]["triage"]["requests"] == 2;
      },
      seconds(20));
  ASSERT_TRUE(telemetry.has_value()) << node.log();
  const json record = json::parse(telemetry->payload);
  const std::string metrics = http_get(port, "/metrics");

  const json& triage = record["models"]["triage"];
  EXPECT_GE(triage["max_batch"].get<double>(), 1);
  EXPECT_EQ(sample_value(metrics, "edgenode_model_max_batch{model=\"triage\"}"), triage["max_batch"].get<double>())
      << metrics;
  EXPECT_EQ(sample_value(metrics, "edgenode_model_batched_requests_total{model=\"triage\"}"),
            triage["batched_requests"].get<double>())
      << metrics;
  EXPECT_EQ(family_type(metrics, "edgenode_model_max_batch"), "gauge");
  EXPECT_EQ(family_type(metrics, "edgenode_model_batched_requests_total"), "counter");

  const json& archive = record["archive"];
  EXPECT_GT(archive["bytes"].get<double>(), 0);
  for (const auto& [field, family, type] : {std::tuple{"entries", "edgenode_archive_entries", "gauge"},
                                            {"bytes", "edgenode_archive_bytes", "gauge"},
                                            {"kept", "edgenode_archive_kept_total", "counter"},
                                            {"pruned", "edgenode_archive_pruned_total", "counter"},
                                            {"dropped", "edgenode_archive_dropped_total", "counter"}}) {
    EXPECT_EQ(sample_value(metrics, family), archive[field].get<double>()) << family << "\n" << metrics;
    EXPECT_EQ(family_type(metrics, family), type) << family;
    EXPECT_NE(metrics.find(std::string("# HELP ") + family + ' '), std::string::npos) << family;
  }
  EXPECT_EQ(node.stop(SIGTERM, seconds(20)), 0) << node.log();
}

TEST(NodeMetrics, NoArchiveFamiliesWithoutAnArchive) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const auto config = write_relay_config(dir, "plain", (*broker)->url(), "", "http: {listen: \"127.0.0.1:0\"}");
  MqttProbe probe((*broker)->url(), {"edgenode/plain/#"});
  NodeProcess node({"run", config}, (dir / "node.log").string());
  ASSERT_TRUE(wait_online(probe, "plain").has_value()) << node.log();
  const int port = logged_http_port(node.log());
  ASSERT_NE(port, 0) << node.log();
  const std::string metrics = http_get(port, "/metrics");
  EXPECT_NE(metrics.find("edgenode_bus_connected{bus=\"default\"} 1"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("edgenode_archive_"), std::string::npos) << metrics;
  EXPECT_EQ(node.stop(SIGTERM, seconds(20)), 0) << node.log();
}

}  // namespace
}  // namespace edgenode::testing
