// The edgenode CLI as a technician uses it: check, schema, dry-run, and run refusing a
// bad config. Runs the real binary (EDGENODE_BIN).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `args` through /bin/sh with stdout and stderr captured to files.
Outcome run_cli(const std::string& args, const std::string& stdin_text = {}) {
  const fs::path dir = fs::temp_directory_path() / ("edgenode_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  std::ofstream(in) << stdin_text;
  const std::string command = "cd '" EDGENODE_SOURCE_DIR "' && '" EDGENODE_BIN "' " + args + " <'" + in.string() +
                              "' >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(command.c_str());
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  };
  o.out = slurp(out);
  o.err = slurp(err);
  fs::remove_all(dir);
  return o;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / (std::to_string(::getpid()) + "_" + name);
  std::ofstream(p) << text;
  return p.string();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Cli, CheckAcceptsEveryExampleConfig) {
  // Every YAML file in configs/, whatever its extension's spelling: an example that does
  // not pass `check` misleads the technician who copies it.
  std::vector<fs::path> examples;
  for (const auto& entry : fs::directory_iterator(EDGENODE_SOURCE_DIR "/configs")) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) examples.push_back(entry.path());
  }
  for (const auto& path : examples) {
    const auto o = run_cli("check " + path.string());
    EXPECT_EQ(o.exit_code, 0) << path << "\n" << o.err;
    EXPECT_EQ(o.err, "") << path << ": an example should check without warnings";
    EXPECT_NE(o.out.find(path.string() + ": ok"), std::string::npos) << o.out;
  }
  // demo, passthrough, triage, two-brokers, zmq at least.
  EXPECT_GE(examples.size(), 5u);
}

const char* kFiveMistakes = R"(node:
  id: line-2
  bus:
    mqtt: {url: "mqtt://127.0.0.1:1883"}
  telemetry: {interval: 10}
pipelines:
  - name: p
    input: {topics: ["a/+"], qso: 1}
    when: "payload.x >"
    infer: {model: triage}
    prompt: {user: "hi"}
    output: {topic: "out", format: jsno}
)";

TEST(Cli, CheckPrintsEveryErrorAndRunRefuses) {
  const std::string path = write_temp("five.yaml", kFiveMistakes);
  const auto check = run_cli("check " + path);
  EXPECT_EQ(check.exit_code, 1);
  int located = 0;
  for (const auto& line : lines_of(check.err)) {
    const bool positioned = line.rfind(path + ":", 0) == 0 && line.size() > path.size() + 1 &&
                            std::isdigit(static_cast<unsigned char>(line[path.size() + 1]));
    if (positioned && line.find(": warning:") == std::string::npos) ++located;
  }
  EXPECT_EQ(located, 5) << check.err;
  EXPECT_NE(check.err.find(path + ":8:30: unknown key 'qso' in input; did you mean 'qos'?"), std::string::npos)
      << check.err;

  const auto run = run_cli("run " + path);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("refusing to start with 5 config error(s)"), std::string::npos) << run.err;
  fs::remove(path);
}

// What the MQTT bus would refuse at start is a `check` error with its position, so a
// config that checks clean does not fail later at `run`.
TEST(Cli, CheckFindsWhatTheBrokerConnectionWouldRefuse) {
  const std::string path = write_temp("buses.yaml", R"(node:
  id: b
  bus: {mqtt: {url: "mqtt//site:1883"}}
  buses:
    plain: {mqtt: {url: "mqtt://up:1883", ca_file: /etc/ca.crt}}
    half: {mqtt: {url: "mqtts://up:8883", key_file: /etc/client.key}}
    slow: {mqtt: {url: "mqtt://up:1883", reconnect_min: 5s, reconnect_max: 1s}}
pipelines:
  - name: p
    input: {topics: [a]}
    output: {topic: b}
)");
  const auto check = run_cli("check " + path);
  EXPECT_EQ(check.exit_code, 1);
  for (const std::string expected : {
           ":3:21: MQTT url 'mqtt//site:1883' must start with mqtt:// or mqtts://",
           ":5:52: ca_file is for TLS, but the url is not mqtts://",
           ":6:53: mutual TLS needs both cert_file and key_file",
           ":7:57: reconnect_min is above reconnect_max",
       }) {
    EXPECT_NE(check.err.find(path + expected), std::string::npos) << expected << "\n" << check.err;
  }

  // Certificate files that are not there (yet) are a warning, as missing model files are.
  const std::string elsewhere = write_temp("elsewhere.yaml", R"(node:
  id: b
  bus: {mqtt: {url: "mqtts://site:8883", ca_file: /nonexistent/ca.crt}}
pipelines:
  - name: p
    input: {topics: [a]}
    output: {topic: b}
)");
  const auto warned = run_cli("check " + elsewhere);
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find(elsewhere + ":3:51: warning: ca_file '/nonexistent/ca.crt' not found"), std::string::npos)
      << warned.err;
  fs::remove(path);
  fs::remove(elsewhere);
}

TEST(Cli, CredentialsInTheUrlAreRefusedWithoutPrintingThem) {
  const std::string path = write_temp("userinfo.yaml", R"(node:
  id: u
  bus: {mqtt: {url: "mqtt://edge:Pw-in-the-url@site:1883"}}
pipelines:
  - name: p
    input: {topics: [a]}
    output: {topic: b}
)");
  const auto check = run_cli("check " + path);
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.err.find(path + ":3:21: MQTT url must not hold a user name or password"), std::string::npos) << check.err;
  const auto run = run_cli("run " + path);
  EXPECT_EQ(run.exit_code, 2);
  for (const auto& output : {check.out, check.err, run.out, run.err})
    EXPECT_EQ(output.find("Pw-in-the-url"), std::string::npos) << output;
  fs::remove(path);
}

TEST(Cli, SchemaIsJsonAndMarkdownIsTheCommittedDoc) {
  const auto schema = run_cli("schema");
  ASSERT_EQ(schema.exit_code, 0);
  const json parsed = json::parse(schema.out);
  EXPECT_EQ(parsed["$schema"], "http://json-schema.org/draft-07/schema#");
  const auto markdown = run_cli("schema --markdown");
  std::ifstream doc(EDGENODE_SOURCE_DIR "/docs/config.md");
  std::ostringstream committed;
  committed << doc.rdbuf();
  EXPECT_TRUE(markdown.out == committed.str()) << "regenerate docs/config.md";
}

TEST(Cli, DryRunPrintsOutputsAndDeadLetters) {
  const auto o = run_cli("dry-run configs/passthrough.yaml --input -",
                         "{\"topic\":\"sensors/s1/temperature\",\"payload\":{\"celsius\":35.26}}\n"
                         "{\"topic\":\"sensors/s1/temperature\",\"payload\":{\"celsius\":12}}\n"
                         "{\"topic\":\"sensors/s2/temperature\",\"payload\":\"{not json\"}\n"
                         "{\"topic\":\"sensors/s3/temperature\",\"payload\":{\"celsius\":40}}\n");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto lines = lines_of(o.out);
  ASSERT_EQ(lines.size(), 3u) << o.out;
  EXPECT_EQ(json::parse(lines[0]),
            (json{{"kind", "output"}, {"topic", "alerts/s1/temperature"}, {"payload", {{"sensor", "s1"}, {"celsius", 35.3}}}}));
  const json dead = json::parse(lines[1]);
  EXPECT_EQ(dead["kind"], "deadletter");
  EXPECT_EQ(dead["topic"], "edgenode/passthrough-1/deadletter/temperature-alerts");
  EXPECT_EQ(dead["payload"]["stage"], "decode");
  EXPECT_EQ(json::parse(lines[2])["payload"]["sensor"], "s3");
}

TEST(Cli, DryRunWithRawPayloadsAndBadLines) {
  const std::string config = write_temp("text.yaml", R"(node: {id: t, bus: {mqtt: {url: "mqtt://h"}}}
pipelines:
  - name: echo
    input: {topics: [t], format: text}
    post: [{set: {field: text, expr: "payload"}}]
    output: {topic: "out", format: text, fields: [text]}
)");
  const auto raw = run_cli("dry-run " + config + " --input - --topic t", "hello\nworld\n");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(lines_of(raw.out).size(), 2u);
  EXPECT_EQ(json::parse(lines_of(raw.out)[1])["payload"], "world");

  const auto bad = run_cli("dry-run " + config + " --input -", "not a json line\n{\"topic\":\"t\",\"payload\":\"ok\"}\n");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("-:1: expected {\"topic\""), std::string::npos) << bad.err;
  EXPECT_EQ(lines_of(bad.out).size(), 1u);
  fs::remove(config);
}

TEST(Cli, MissingConfigIsAClearError) {
  const auto o = run_cli("check /nonexistent.yaml");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("/nonexistent.yaml:0:0: cannot read config file"), std::string::npos);
}

}  // namespace
