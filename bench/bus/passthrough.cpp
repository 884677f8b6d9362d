// Node-level passthrough benchmark: `edgenode run` with bench/bus/passthrough.yaml
// (decode JSON, `when`, output; no model) and the same flow in Node-RED
// (node-red/flows.json: mqtt in, json, switch, json, mqtt out), each fed by the same
// generator through one mosquitto on a free loopback port, at QoS 0 and QoS 1.
// Prints messages/s and end-to-end latency; not a test.
//
//   bench_passthrough [--messages N] [--seconds S] [--edgenode BIN] [--node-red-dir DIR]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "passthrough_child.h"
#include "passthrough_load.h"
#include "support/mosquitto_broker.h"

namespace {

using namespace edgenode;
namespace fs = std::filesystem;

struct Flow {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
};

struct Row {
  std::string flow;
  int qos;
  bench::LoadResult load;
  double node_cpu_s = 0;  // CPU time the node used during the run
};

// Starts the node, measures QoS 0 then QoS 1, stops it. The node's output goes to
// <dir>/<name>.log.
std::vector<Row> measure(const Flow& flow, const testing::MosquittoBroker& broker, int messages, int seconds) {
  std::vector<Row> rows;
  const std::string log = (broker.dir() / (flow.name + ".log")).string();
  auto node = bench::ChildProcess::start(flow.argv, flow.env, log);
  if (!node) {
    std::fprintf(stderr, "%s: %s\n", flow.name.c_str(), node.error().message.c_str());
    return rows;
  }
  for (int qos : {0, 1}) {
    bench::LoadOptions o;
    o.broker_url = broker.url();
    o.input_topic = "bench/qos" + std::to_string(qos) + "/line1/vibration";
    o.output_topic = "bench-out/qos" + std::to_string(qos) + "/vibration";
    o.qos = qos;
    o.max_messages = messages;
    o.max_duration = std::chrono::seconds(seconds);
    const double cpu_before = (*node)->cpu_seconds();
    Row row{flow.name, qos, bench::run_load(o)};
    row.node_cpu_s = (*node)->cpu_seconds() - cpu_before;
    if (!row.load.error.empty()) std::fprintf(stderr, "%s qos%d: %s (log: %s)\n", flow.name.c_str(), qos,
                                              row.load.error.c_str(), log.c_str());
    rows.push_back(std::move(row));
  }
  (*node)->stop();
  return rows;
}

std::optional<Flow> node_red_flow(const fs::path& node_red_dir, const testing::MosquittoBroker& broker) {
  const fs::path red = node_red_dir / "node_modules" / "node-red" / "red.js";
  if (!fs::exists(red)) {
    std::fprintf(stderr, "Node-RED is not installed (%s missing): npm ci --prefix %s\n", red.c_str(),
                 node_red_dir.c_str());
    return std::nullopt;
  }
  // Node-RED writes its runtime state into the user dir, so it gets a copy of the flow there.
  const fs::path user_dir = broker.dir() / "node-red";
  fs::create_directories(user_dir);
  fs::copy_file(node_red_dir / "flows.json", user_dir / "flows.json", fs::copy_options::overwrite_existing);
  return Flow{"Node-RED",
              {"node", red.string(), "--settings", (node_red_dir / "settings.js").string(), "--userDir",
               user_dir.string(), (user_dir / "flows.json").string()},
              {{"MQTT_PORT", std::to_string(broker.port())}}};
}

void print_table(const std::vector<Row>& rows) {
  auto rate_of = [&](const std::string& flow, int qos) {
    for (const auto& r : rows)
      if (r.flow == flow && r.qos == qos) return r.load.messages_per_s;
    return 0.0;
  };
  std::printf("%-10s %4s %12s %10s %10s %11s %15s  %s\n", "flow", "QoS", "msgs/s", "p50 ms", "p99 ms",
              "edgenode/NR", "node CPU us/msg", "sent/received");
  for (const auto& r : rows) {
    const double node_red = rate_of("Node-RED", r.qos);
    std::string ratio = "-";
    if (r.flow == "edgenode" && node_red > 0) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.1fx", r.load.messages_per_s / node_red);
      ratio = buffer;
    }
    // Includes the ready probes, a few per run.
    const double cpu_us = r.load.received > 0 ? 1e6 * r.node_cpu_s / r.load.received : 0;
    std::printf("%-10s %4d %12.0f %10.3f %10.3f %11s %15.1f  %d/%d\n", r.flow.c_str(), r.qos, r.load.messages_per_s,
                r.load.p50_ms, r.load.p99_ms, ratio.c_str(), cpu_us, r.load.sent, r.load.received);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgenode vs Node-RED: a passthrough flow through mosquitto on loopback"};
  int messages = 200000;
  int seconds = 30;
  std::string edgenode = EDGENODE_BIN;
  std::string node_red_dir = std::string(EDGENODE_SOURCE_DIR) + "/bench/bus/node-red";
  std::string config = std::string(EDGENODE_SOURCE_DIR) + "/bench/bus/passthrough.yaml";
  app.add_option("--messages", messages, "Readings per flow and QoS (at most)")->check(CLI::Range(1, 10000000));
  app.add_option("--seconds", seconds, "Longest sending time per flow and QoS")->check(CLI::Range(1, 3600));
  app.add_option("--edgenode", edgenode, "The edgenode binary")->check(CLI::ExistingFile);
  app.add_option("--node-red-dir", node_red_dir, "Where Node-RED is installed (package.json, flows.json)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);  // the clients' connect and disconnect lines would bury the table

  auto broker = testing::MosquittoBroker::start();
  if (!broker) {
    std::fprintf(stderr, "mosquitto: %s\n", broker.error().message.c_str());
    return 1;
  }
  std::vector<Row> rows;
  const Flow edgenode_flow{"edgenode", {edgenode, "run", config}, {{"MQTT_URL", (*broker)->url()}}};
  for (auto& r : measure(edgenode_flow, **broker, messages, seconds)) rows.push_back(std::move(r));
  if (auto flow = node_red_flow(node_red_dir, **broker))
    for (auto& r : measure(*flow, **broker, messages, seconds)) rows.push_back(std::move(r));
  std::printf("passthrough, 100-byte JSON readings, decode -> when -> encode, at most %d readings or %d s each\n",
              messages, seconds);
  print_table(rows);
  return 0;
}
