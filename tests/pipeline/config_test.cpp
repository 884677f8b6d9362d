#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "pipeline/config.h"

namespace edgenode::pipeline {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

LoadedConfig load(const std::string& text, std::map<std::string, std::string> env = {}) {
  auto config = load_config_text(text, "test.yaml", fake_env(std::move(env)));
  build_pipelines(config, nullptr);
  return config;
}

// Errors in source order, formatted as check prints them.
std::vector<std::string> errors_of(const LoadedConfig& config) {
  std::vector<std::string> out;
  std::istringstream lines(config.diagnostics.format_all());
  for (std::string line; std::getline(lines, line);) {
    if (line.find(": warning: ") == std::string::npos) out.push_back(line);
  }
  return out;
}

const char* kValid = R"(node:
  id: n1
  bus:
    mqtt: {url: "mqtt://127.0.0.1:1883"}
pipelines:
  - name: p
    input: {topics: ["sensors/+/t"]}
    when: "payload.t > 1"
    output: {topic: "out/{{ topic_levels[1] }}"}
)";

TEST(Config, AValidConfigHasNoDiagnostics) {
  auto config = load(kValid);
  EXPECT_TRUE(config.ok()) << config.diagnostics.format_all();
  EXPECT_EQ(config.node.id, "n1");
  EXPECT_EQ(config.node.topic_prefix, "edgenode/n1");
  ASSERT_EQ(config.node.buses.size(), 1u);
  EXPECT_EQ(config.node.buses[0].mqtt->client_id, "n1");
  EXPECT_EQ(config.node.telemetry_interval_ms, 10000);
}

TEST(Config, FiveMistakesGiveFiveErrorsWithPositions) {
  const char* text = R"(node:
  id: n1
  bus:
    mqtt: {url: "mqtt://127.0.0.1:1883"}
  telemetry: {interval: 10}
pipelines:
  - name: p
    input: {topics: ["a/b"], qso: 1}
    when: "payload.x >"
    infer: {model: triage}
    prompt: {user: "hi"}
    output: {topic: "out", format: jsno}
)";
  auto config = load(text);
  const auto errors = errors_of(config);
  ASSERT_EQ(errors.size(), 5u) << config.diagnostics.format_all();
  EXPECT_EQ(errors[0], "test.yaml:5:25: interval: duration '10' needs a unit: a number with ms, s, m, h or d (e.g. 500ms, 10s)");
  EXPECT_EQ(errors[1], "test.yaml:8:30: unknown key 'qso' in input; did you mean 'qos'?");
  // The end of the expression, just past '>': column 11 of the value, which starts at 12.
  EXPECT_EQ(errors[2], "test.yaml:9:23: in expression: expected a value but the expression ended");
  EXPECT_EQ(errors[3], "test.yaml:10:20: unknown model 'triage' (declare it under models:)");
  EXPECT_NE(errors[4].find("test.yaml:12:36: invalid format 'jsno': expected one of json, msgpack, text"), std::string::npos) << errors[4];
  EXPECT_NE(errors[4].find("did you mean 'json'?"), std::string::npos);
}

TEST(Config, EnvironmentSubstitution) {
  const char* text = R"(node:
  id: ${NODE_ID}
  topic_prefix: ${PREFIX:-site/default}
  bus:
    mqtt: {url: "mqtt://${HOST}:1883", username: "$${literal}"}
pipelines:
  - name: p
    input: {topics: ["a"]}
    output: {topic: "b"}
)";
  auto config = load(text, {{"NODE_ID", "edge-9"}, {"HOST", "broker.local"}});
  ASSERT_TRUE(config.ok()) << config.diagnostics.format_all();
  EXPECT_EQ(config.node.id, "edge-9");
  EXPECT_EQ(config.node.topic_prefix, "site/default");
  EXPECT_EQ(config.node.buses[0].mqtt->url, "mqtt://broker.local:1883");
  EXPECT_EQ(config.node.buses[0].mqtt->username, "${literal}");

  auto missing = load(text, {{"NODE_ID", "x"}});
  const auto errors = errors_of(missing);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:5:25: environment variable 'HOST' is not set (use ${HOST:-default} for a default)");
}

TEST(Config, SecretsFromFilesAreTrimmed) {
  const auto path = std::filesystem::temp_directory_path() / ("edgenode_secret_" + std::to_string(::getpid()));
  std::ofstream(path) << "s3cret\n";
  const std::string text = "node:\n  id: n\n  bus:\n    mqtt: {url: \"mqtt://h\", password_file: " + path.string() +
                           "}\npipelines:\n  - name: p\n    input: {topics: [a]}\n    output: {topic: b}\n";
  auto config = load(text);
  ASSERT_TRUE(config.ok()) << config.diagnostics.format_all();
  EXPECT_EQ(config.node.buses[0].mqtt->password, "s3cret");
  std::filesystem::remove(path);

  auto missing = load(text);
  ASSERT_EQ(errors_of(missing).size(), 1u);
  EXPECT_NE(errors_of(missing)[0].find("cannot read secret file"), std::string::npos);
  // The secret never appears in a diagnostic.
  EXPECT_EQ(missing.diagnostics.format_all().find("s3cret"), std::string::npos);
}

TEST(Config, TypesRangesAndRequiredFields) {
  const char* text = R"(node:
  bus: {mqtt: {url: x}, zmq: {pub: "tcp://*:1"}}
pipelines:
  - name: p
    input: {topics: "a/b", qos: 3}
    output: {topic: "a/#", retain: maybe}
    queue: {max: lots}
)";
  auto config = load(text);
  const std::string all = config.diagnostics.format_all();
  EXPECT_NE(all.find("test.yaml:2:3: missing required field 'id' in node"), std::string::npos) << all;
  EXPECT_NE(all.find("bus needs exactly one of: mqtt, zmq"), std::string::npos) << all;
  EXPECT_NE(all.find("expected 'topics' to be a list of strings"), std::string::npos) << all;
  EXPECT_NE(all.find("qos must be at most 2"), std::string::npos) << all;
  EXPECT_NE(all.find("expected 'retain' to be true or false, got 'maybe'"), std::string::npos) << all;
  EXPECT_NE(all.find("expected 'max' to be an integer, got 'lots'"), std::string::npos) << all;
  EXPECT_NE(all.find("output topic:"), std::string::npos) << all;
}

TEST(Config, UnknownBusesModelsAndDuplicateNames) {
  const char* text = R"(node:
  id: n
  buses:
    upstream: {mqtt: {url: "mqtt://u"}}
pipelines:
  - name: p
    input: {topics: [a]}
    output: {topic: b, bus: upstraem}
  - name: p
    input: {topics: [a], bus: upstream}
    output: {topic: b, bus: upstream}
)";
  auto config = load(text);
  const std::string all = config.diagnostics.format_all();
  EXPECT_NE(all.find("test.yaml:7:12: no default bus: set node.bus or name a bus here"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown bus 'upstraem'; did you mean 'upstream'?"), std::string::npos) << all;
  EXPECT_NE(all.find("test.yaml:9:11: duplicate pipeline name 'p'"), std::string::npos) << all;
  EXPECT_EQ(config.diagnostics.error_count(), 3u) << all;
}

TEST(Config, YamlSyntaxErrorHasAPosition) {
  auto config = load("node:\n  id: [unclosed\n");
  ASSERT_EQ(config.diagnostics.error_count(), 1u);
  EXPECT_EQ(config.diagnostics.format_all().rfind("test.yaml:", 0), 0u);
}

// Found by fuzz_config: bytes that are not UTF-8 reached a json_schema and its dump()
// threw out of build_pipelines. Such a file is now one error naming the line.
TEST(Config, BytesThatAreNotUtf8AreOneErrorNamingTheLine) {
  auto raw = load("node:\n  id: n1\n  topic_prefix: \"a\xff\xfe\"\n");
  EXPECT_EQ(errors_of(raw), std::vector<std::string>{"test.yaml:3:1: this line is not valid UTF-8"});

  const char* with_schema = R"(node:
  id: n1
  bus:
    mqtt: {url: "mqtt://127.0.0.1:1883"}
models:
  m: {path: m.gguf}
pipelines:
  - name: p
    input: {topics: ["a"]}
    prompt: {user: "{{ payload }}"}
    infer: {model: m, json_schema: {type: object, properties: {k: {type: string, description: "${TEXT}"}}}}
    output: {topic: "b"}
)";
  auto from_env = load(with_schema, {{"TEXT", "k\xc3"}});
  const auto errors = errors_of(from_env);
  ASSERT_EQ(errors.size(), 1u) << from_env.diagnostics.format_all();
  EXPECT_NE(errors[0].find("value is not valid UTF-8"), std::string::npos) << errors[0];
}

// Found by fuzz_config: an expression or template whose ${VAR} is unset was missing when
// check built the pipelines, and reading it threw out of build_pipelines.
TEST(Config, UnsetVariablesInExpressionsAndTemplatesAreOneErrorEach) {
  const char* text = R"(node:
  id: n1
  bus:
    mqtt: {url: "mqtt://127.0.0.1:1883"}
pipelines:
  - name: p
    input: {topics: ["a"]}
    when: "${WHEN}"
    window: {count: 5, key: "${KEY}"}
    output: {topic: "${TOPIC}"}
)";
  const auto errors = errors_of(load(text));
  ASSERT_EQ(errors.size(), 3u) << load(text).diagnostics.format_all();
  for (const auto& e : errors) EXPECT_NE(e.find("is not set"), std::string::npos) << e;
}

TEST(Config, WarningsForRawOutputAndMissingModels) {
  const char* text = R"(node:
  id: n
  bus: {mqtt: {url: "mqtt://h", insecure: true}}
models:
  triage: {path: /nonexistent/model.gguf}
pipelines:
  - name: p
    input: {topics: [a]}
    output: {topic: b}
    allow_raw: true
)";
  auto config = load(text);
  ASSERT_TRUE(config.ok()) << config.diagnostics.format_all();
  add_config_warnings(config);
  const std::string all = config.diagnostics.format_all();
  EXPECT_NE(all.find("test.yaml:10:16: warning: pipeline 'p' sets allow_raw"), std::string::npos) << all;
  EXPECT_NE(all.find("warning: bus 'default' does not verify"), std::string::npos) << all;
  EXPECT_NE(all.find("test.yaml:5:18: warning: model file '/nonexistent/model.gguf' not found"), std::string::npos) << all;
}

TEST(Config, WarnsWhereAFullOutboxCanStallTheInputBus) {
  const std::string node = R"(node:
  id: n
  journal: /tmp/n.db
  outbox: {on_full: block}
  bus: {mqtt: {url: "mqtt://h"}}
  buses: {up: {mqtt: {url: "mqtt://u"}}}
pipelines:
)";
  const std::string same_bus = R"(  - name: p
    input: {topics: [a]}
    output: {topic: b}
    queue: {on_full: block}
)";
  auto config = load(node + same_bus);
  ASSERT_TRUE(config.ok()) << config.diagnostics.format_all();
  add_config_warnings(config);
  EXPECT_NE(config.diagnostics.format_all().find("test.yaml:11:22: warning: pipeline 'p' blocks when full"),
            std::string::npos)
      << config.diagnostics.format_all();

  // QoS 1 inputs are journaled, and parked on disk rather than waited for.
  auto journaled = load(node + R"(  - name: p
    input: {topics: [a], qos: 1}
    output: {topic: b}
    queue: {on_full: block}
)");
  ASSERT_TRUE(journaled.ok()) << journaled.diagnostics.format_all();
  add_config_warnings(journaled);
  EXPECT_EQ(journaled.diagnostics.format_all().find("blocks when full"), std::string::npos);

  // Outputs on another bus: its acks do not wait behind the blocked input.
  auto elsewhere = load(node + R"(  - name: p
    input: {topics: [a]}
    output: {topic: b, bus: up}
    queue: {on_full: block}
)");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.diagnostics.format_all();
  add_config_warnings(elsewhere);
  EXPECT_EQ(elsewhere.diagnostics.format_all().find("blocks when full"), std::string::npos);
}

TEST(Config, MissingFileIsOneError) {
  auto config = load_config_file("/nonexistent/edgenode.yaml");
  ASSERT_EQ(config.diagnostics.error_count(), 1u);
  EXPECT_EQ(config.diagnostics.format_all(), "/nonexistent/edgenode.yaml:0:0: cannot read config file\n");
}

}  // namespace
}  // namespace edgenode::pipeline
