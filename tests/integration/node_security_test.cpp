// TLS, mutual TLS and password authentication through the real `edgenode run`, set up the
// way a field technician does it: certificate files and secrets named in the YAML config.
//
// A TLS or authentication failure on the node's first connection is a configuration
// error that retrying cannot fix, so `run` refuses to start: exit code 1 and one line on
// stderr naming the cause (a service manager restarts it once the config is fixed). A
// broker that is merely unreachable at start is retried in the background instead.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

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

constexpr auto kExitTimeout = seconds(20);

std::unique_ptr<MosquittoBroker> start_broker(MosquittoBrokerOptions options) {
  auto broker = MosquittoBroker::start(std::move(options));
  EXPECT_TRUE(broker.ok()) << broker.error().message;
  return broker.ok() ? std::move(broker).value() : nullptr;
}

MosquittoBrokerOptions tls_broker(bool require_client_cert = false) {
  MosquittoBrokerOptions options;
  options.tls = true;
  options.require_client_cert = require_client_cert;
  return options;
}

// A probe that trusts the broker's CA (and shows the broker's client certificate when
// the broker asks for one).
bus::MqttOptions probe_options(const MosquittoBroker& broker, bool client_cert = false) {
  auto options = MqttProbe::default_options(broker.url());
  options.ca_file = broker.ca_file();
  if (client_cert) {
    options.cert_file = broker.client_cert_file();
    options.key_file = broker.client_key_file();
  }
  return options;
}

// Starts the node, waits for `online`, sends one reading and expects its result.
void expect_results_flow(MqttProbe& probe, const std::string& config, const std::string& id, const fs::path& log) {
  NodeProcess node({"run", config}, log.string());
  ASSERT_TRUE(wait_online(probe, id).has_value()) << node.log();
  probe.publish("in/dev7", R"({"seq": 1})", 1);
  const auto result = probe.wait_for(on_topic("out/dev7"), seconds(20));
  ASSERT_TRUE(result.has_value()) << node.log();
  EXPECT_EQ(json::parse(result->payload), (json{{"seq", 1}, {"device", "dev7"}}));
  EXPECT_EQ(node.stop(SIGTERM, seconds(10)), 0) << node.log();
}

// The node must exit by itself with code 1 (not a crash, not a hang) and its own last
// line must be the one-line reason; returns that line.
std::string expect_refusal(const std::string& config, const fs::path& log) {
  NodeProcess node({"run", config}, log.string());
  const int code = node.wait_exit(kExitTimeout);
  EXPECT_EQ(code, 1) << "expected exit code 1 (a bus cannot start); -1 means a crash or a hang\n" << node.log();
  const auto lines = lines_starting_with(node.log(), "edgenode: ");
  EXPECT_EQ(lines.size(), 1u) << node.log();
  if (lines.empty()) return {};
  EXPECT_EQ(last_line(node.log()), lines.back()) << "the reason must be the last line\n" << node.log();
  EXPECT_EQ(node.log().find("publish_failed"), std::string::npos) << "a node that never started publishes nothing\n"
                                                                  << node.log();
  return lines.back();
}

TEST(NodeTls, ResultsFlowOverTls) {
  auto broker = start_broker(tls_broker());
  ASSERT_TRUE(broker);
  MqttProbe probe(probe_options(*broker), {"out/#", "edgenode/tls/#"});
  const auto config = write_relay_config(broker->dir(), "tls", broker->url(), "ca_file: " + broker->ca_file());
  expect_results_flow(probe, config, "tls", broker->dir() / "node.log");
}

TEST(NodeTls, UntrustedServerIsOneClearLineAndNoStart) {
  auto broker = start_broker(tls_broker());
  ASSERT_TRUE(broker);
  // A CA that did not sign the broker's certificate; `insecure` stays off.
  const auto config = write_relay_config(broker->dir(), "tls", broker->url(), "ca_file: " + broker->foreign_cert_file());
  const std::string line = expect_refusal(config, broker->dir() / "node.log");
  EXPECT_NE(line.find("bus 'default'"), std::string::npos) << line;
  EXPECT_NE(line.find("TLS handshake with " + broker->url() + " failed"), std::string::npos) << line;
  EXPECT_NE(line.find("certificate verify failed"), std::string::npos) << line;
  EXPECT_NE(line.find("check ca_file"), std::string::npos) << line;
}

TEST(NodeTls, InsecureConnectsWithoutVerifyingAndSaysSo) {
  auto broker = start_broker(tls_broker());
  ASSERT_TRUE(broker);
  MqttProbe probe(probe_options(*broker), {"out/#", "edgenode/tls/#"});
  const auto config =
      write_relay_config(broker->dir(), "tls", broker->url(), "ca_file: " + broker->foreign_cert_file() + ", insecure: true");
  const fs::path log = broker->dir() / "node.log";
  expect_results_flow(probe, config, "tls", log);
  std::ifstream in(log);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  // Logged once at warning level, the word not repeated in the message.
  EXPECT_NE(text.find(" warning config " + config + ":"), std::string::npos) << text;
  EXPECT_NE(text.find(": bus 'default' does not verify the broker's certificate"), std::string::npos) << text;
  EXPECT_EQ(text.find("warning: bus 'default'"), std::string::npos) << text;
  EXPECT_NE(text.find("insecure=true: the broker's certificate is NOT checked"), std::string::npos) << text;
}

TEST(NodeMutualTls, ClientCertificateFromTheConfig) {
  auto broker = start_broker(tls_broker(true));
  ASSERT_TRUE(broker);
  MqttProbe probe(probe_options(*broker, true), {"out/#", "edgenode/mtls/#"});
  const auto config = write_relay_config(broker->dir(), "mtls", broker->url(),
                                         "ca_file: " + broker->ca_file() + ", cert_file: " + broker->client_cert_file() +
                                             ", key_file: " + broker->client_key_file());
  expect_results_flow(probe, config, "mtls", broker->dir() / "node.log");
}

TEST(NodeMutualTls, WithoutClientCertificateTheBrokerRefusesAndTheNodeSaysSo) {
  auto broker = start_broker(tls_broker(true));
  ASSERT_TRUE(broker);
  const auto missing = write_relay_config(broker->dir(), "mtls", broker->url(), "ca_file: " + broker->ca_file());
  const std::string line = expect_refusal(missing, broker->dir() / "missing.log");
  EXPECT_NE(line.find("TLS handshake with " + broker->url() + " failed (tlsv13 alert certificate required)"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("cert_file and key_file"), std::string::npos) << line;

  // A certificate from a CA the broker does not trust.
  const auto foreign = write_relay_config(broker->dir(), "mtls", broker->url(),
                                         "ca_file: " + broker->ca_file() + ", cert_file: " + broker->foreign_cert_file() +
                                             ", key_file: " + broker->foreign_key_file());
  const std::string foreign_line = expect_refusal(foreign, broker->dir() / "foreign.log");
  EXPECT_NE(foreign_line.find("alert unknown ca"), std::string::npos) << foreign_line;
}

// The password reaches the broker from password_file or from ${VAR}, and shows up nowhere:
// not in the node's log, not in anything it publishes (status, telemetry, dead-letters,
// results), not in /metrics.
class NodePassword : public ::testing::TestWithParam<bool> {
 protected:
  static constexpr const char* kPassword = "Pw-7xq-kept-secret";
  static constexpr const char* kEnvVar = "EDGENODE_ITEST_MQTT_PASSWORD";
  void TearDown() override { ::unsetenv(kEnvVar); }
};

TEST_P(NodePassword, ConnectsAndNeverShowsThePassword) {
  const bool from_file = GetParam();
  MosquittoBrokerOptions with_users;
  with_users.users = {{"edge", kPassword}};
  auto broker = start_broker(with_users);
  ASSERT_TRUE(broker);
  auto options = MqttProbe::default_options(broker->url());
  options.username = "edge";
  options.password = kPassword;
  MqttProbe probe(options, {"#"});

  std::string secret_field;
  if (from_file) {
    const auto file = broker->dir() / "mqtt.pass";
    std::ofstream(file) << kPassword << "\n";
    secret_field = "password_file: " + file.string();
  } else {
    ::setenv(kEnvVar, kPassword, 1);
    secret_field = std::string("password: \"${") + kEnvVar + "}\"";
  }
  const auto config = write_relay_config(broker->dir(), "auth", broker->url(), "username: edge, " + secret_field,
                                         "http: {listen: \"127.0.0.1:0\"}");
  NodeProcess node({"run", config}, (broker->dir() / "node.log").string());
  ASSERT_TRUE(wait_online(probe, "auth").has_value()) << node.log();
  probe.publish("in/dev1", R"({"seq": 1})", 1);
  probe.publish("in/dev1", "{not json", 1);  // a dead-letter record too
  ASSERT_TRUE(probe.wait_for(on_topic("out/dev1"), seconds(20)).has_value()) << node.log();
  const auto telemetry = probe.wait_for([](const bus::Message& m) {
    return m.topic == "edgenode/auth/telemetry" && json::parse(m.payload)["pipelines"]["relay"]["deadlettered"] == 1;
  }, seconds(20));
  ASSERT_TRUE(telemetry.has_value()) << node.log();
  const int http_port = logged_http_port(node.log());
  ASSERT_NE(http_port, 0) << node.log();
  const std::string metrics = http_get(http_port, "/metrics");
  EXPECT_NE(metrics.find("edgenode_bus_connected{bus=\"default\"} 1"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find(kPassword), std::string::npos) << "the password is in /metrics";
  EXPECT_EQ(node.stop(SIGTERM, seconds(10)), 0) << node.log();

  const std::string log = node.log();
  EXPECT_NE(log.find("node_started"), std::string::npos) << log;
  EXPECT_EQ(log.find(kPassword), std::string::npos) << "the password is in the node's log:\n" << log;
  int seen = 0;
  for (const auto& m : probe.messages()) {
    if (m.topic.rfind("edgenode/auth/", 0) != 0 && m.topic.rfind("out/", 0) != 0) continue;
    ++seen;
    EXPECT_EQ(m.payload.find(kPassword), std::string::npos) << "published on " << m.topic;
    for (const auto& [key, value] : m.user_properties) EXPECT_EQ(value.find(kPassword), std::string::npos) << key;
  }
  EXPECT_GE(seen, 4) << "status, telemetry, a dead-letter and a result";
}

INSTANTIATE_TEST_SUITE_P(FromFileOrEnv, NodePassword, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "password_file" : "env_var"; });

}  // namespace
}  // namespace edgenode::testing
