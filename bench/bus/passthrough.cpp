// Node-level passthrough benchmark: `edgenode run` with bench/bus/passthrough.yaml
// (decode JSON, `when`, output; no model), the same flow in Node-RED
// (node-red/flows.json: mqtt in, json, switch, json, mqtt out), and bench_relay (relay.cpp:
// one libmosquitto client that republishes every reading unchanged, no decode, no filter),
// each fed by the same generator through one mosquitto on a free loopback port, at QoS 0
// and QoS 1. The relay is the ceiling: a passthrough crosses the broker twice, and what
// the relay reaches is what any node can reach through this broker on this machine.
// All nodes run side by side on their own topics; the measurements alternate between
// them in rounds, so a change of load on the machine during the run hits all alike.
// Prints messages/s, end-to-end latency and node CPU per message of each flow's median
// round, each flow's rate against Node-RED's and the relay's, with the machine's load
// average before and after; not a test.
//
//   bench_passthrough [--messages N] [--seconds S] [--rounds R] [--edgenode BIN] [--relay BIN]
//                     [--node-red-dir DIR]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "passthrough_child.h"
#include "passthrough_load.h"
#include "support/mosquitto_broker.h"

namespace {

using namespace edgenode;
namespace fs = std::filesystem;

constexpr const char* kRelay = "relay";

struct Flow {
  std::string name;
  std::string topic_root;  // prefix of the flow's input and output topics
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::unique_ptr<bench::ChildProcess> node;
};

struct Round {
  bench::LoadResult load;
  double node_cpu_s = 0;  // CPU time the node used during the round
};

struct Row {
  std::string flow;
  int qos;
  std::vector<Round> rounds;
};

bool start_node(Flow& flow, const testing::MosquittoBroker& broker) {
  const std::string log = (broker.dir() / (flow.name + ".log")).string();
  auto node = bench::ChildProcess::start(flow.argv, flow.env, log);
  if (!node) {
    std::fprintf(stderr, "%s: %s\n", flow.name.c_str(), node.error().message.c_str());
    return false;
  }
  flow.node = std::move(*node);
  return true;
}

Round measure_round(Flow& flow, const testing::MosquittoBroker& broker, int qos, int messages, int seconds) {
  bench::LoadOptions o;
  o.broker_url = broker.url();
  o.input_topic = flow.topic_root + "bench/qos" + std::to_string(qos) + "/line1/vibration";
  o.output_topic = flow.topic_root + "bench-out/qos" + std::to_string(qos) + "/vibration";
  o.qos = qos;
  o.max_messages = messages;
  o.max_duration = std::chrono::seconds(seconds);
  const double cpu_before = flow.node->cpu_seconds();
  Round round{bench::run_load(o)};
  round.node_cpu_s = flow.node->cpu_seconds() - cpu_before;
  if (!round.load.error.empty())
    std::fprintf(stderr, "%s qos%d: %s (log: %s)\n", flow.name.c_str(), qos, round.load.error.c_str(),
                 (broker.dir() / (flow.name + ".log")).c_str());
  return round;
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
              "node-red/",
              {"node", red.string(), "--settings", (node_red_dir / "settings.js").string(), "--userDir",
               user_dir.string(), (user_dir / "flows.json").string()},
              {{"MQTT_PORT", std::to_string(broker.port())}},
              nullptr};
}

// The 1-minute load average: the figures depend on what else runs on the cores, so the
// table says how busy the machine was.
std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one_minute;
  file >> one_minute;
  return one_minute.empty() ? "?" : one_minute;
}

// The round with the median rate (the lower middle one for an even count).
const Round& median_round(const Row& row) {
  std::vector<const Round*> sorted;
  for (const auto& r : row.rounds) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const Round* a, const Round* b) { return a->load.messages_per_s < b->load.messages_per_s; });
  return *sorted[(sorted.size() - 1) / 2];
}

// Rows of one QoS in the order the flows were started (edgenode, Node-RED, relay); each
// flow's median rate beside Node-RED's and the relay's at that QoS.
void print_table(const std::vector<Row>& rows) {
  auto rate_of = [&](const std::string& flow, int qos) {
    for (const auto& r : rows)
      if (r.flow == flow && r.qos == qos) return median_round(r).load.messages_per_s;
    return 0.0;
  };
  auto ratio = [](double rate, double base, const char* format) {
    if (base <= 0) return std::string("-");
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, format, rate / base);
    return std::string(buffer);
  };
  std::printf("%-9s %4s %10s %9s %9s %9s %9s %15s  %-14s %s\n", "flow", "QoS", "msgs/s", "p50 ms", "p99 ms",
              "x NodeRED", "of relay", "node CPU us/msg", "sent/received", "msgs/s of each round");
  for (const auto& row : rows) {
    const Round& m = median_round(row);
    const double rate = m.load.messages_per_s;
    // Includes the few ready probes of the round.
    const double cpu_us = m.load.received > 0 ? 1e6 * m.node_cpu_s / m.load.received : 0;
    const std::string counts = std::to_string(m.load.sent) + "/" + std::to_string(m.load.received);
    std::string each;
    for (const auto& r : row.rounds) each += std::to_string(static_cast<long>(r.load.messages_per_s)) + " ";
    std::printf("%-9s %4d %10.0f %9.3f %9.3f %9s %9s %15.1f  %-14s %s\n", row.flow.c_str(), row.qos, rate,
                m.load.p50_ms, m.load.p99_ms, ratio(rate, rate_of("Node-RED", row.qos), "%.2fx").c_str(),
                ratio(rate, rate_of(kRelay, row.qos) / 100, "%.0f%%").c_str(), cpu_us, counts.c_str(),
                each.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgenode vs Node-RED: a passthrough flow through mosquitto on loopback"};
  int messages = 200000;
  int seconds = 30;
  int rounds = 3;
  std::string edgenode = EDGENODE_BIN;
  std::string relay = BENCH_RELAY_BIN;
  std::string node_red_dir = std::string(EDGENODE_SOURCE_DIR) + "/bench/bus/node-red";
  std::string config = std::string(EDGENODE_SOURCE_DIR) + "/bench/bus/passthrough.yaml";
  app.add_option("--messages", messages, "Readings per flow, QoS and round (at most)")->check(CLI::Range(1, 10000000));
  app.add_option("--seconds", seconds, "Longest sending time per flow, QoS and round")->check(CLI::Range(1, 3600));
  app.add_option("--rounds", rounds, "Alternating rounds per QoS; the median is shown")->check(CLI::Range(1, 100));
  app.add_option("--edgenode", edgenode, "The edgenode binary")->check(CLI::ExistingFile);
  app.add_option("--relay", relay, "The bench_relay binary (the ceiling)")->check(CLI::ExistingFile);
  app.add_option("--node-red-dir", node_red_dir, "Where Node-RED is installed (package.json, flows.json)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);  // the clients' connect and disconnect lines would bury the table

  const std::string load_before = load_average();
  auto broker = testing::MosquittoBroker::start();
  if (!broker) {
    std::fprintf(stderr, "mosquitto: %s\n", broker.error().message.c_str());
    return 1;
  }
  std::vector<Flow> flows;
  flows.push_back(Flow{"edgenode", "", {edgenode, "run", config}, {{"MQTT_URL", (*broker)->url()}}, nullptr});
  if (auto flow = node_red_flow(node_red_dir, **broker)) flows.push_back(std::move(*flow));
  flows.push_back(Flow{kRelay, "relay/", {relay, "127.0.0.1", std::to_string((*broker)->port()), "relay/"}, {}, nullptr});
  std::erase_if(flows, [&](Flow& f) { return !start_node(f, **broker); });

  std::vector<Row> rows;
  for (int qos : {0, 1}) {
    std::vector<Row> by_flow;
    for (const auto& f : flows) by_flow.push_back(Row{f.name, qos, {}});
    for (int round = 0; round < rounds; ++round)
      for (std::size_t i = 0; i < flows.size(); ++i)
        by_flow[i].rounds.push_back(measure_round(flows[i], **broker, qos, messages, seconds));
    for (auto& r : by_flow) rows.push_back(std::move(r));
  }
  for (auto& f : flows) f.node->stop();
  std::printf("passthrough, 100-byte JSON readings, decode -> when -> encode (relay: unchanged, no decode); "
              "%d alternating rounds of at most %d readings or %d s each; median round shown; load average %s "
              "before, %s after\n",
              rounds, messages, seconds, load_before.c_str(), load_average().c_str());
  print_table(rows);
  return 0;
}
