// edgenode-demo-view: subscribes to the simulator's readings and the node's triage results
// and shows them as a live table; with stdout not a terminal it prints one line per result.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "examples/sensor-sim/mqtt_client.h"
#include "examples/sensor-sim/triage_board.h"

namespace {

std::atomic<bool> g_stop{false};
void request_stop(int) { g_stop = true; }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Topic levels: factory/<machine>/<kind>.
std::vector<std::string> split_topic(const std::string& topic) {
  std::vector<std::string> levels;
  size_t start = 0;
  for (size_t slash; (slash = topic.find('/', start)) != std::string::npos; start = slash + 1)
    levels.push_back(topic.substr(start, slash - start));
  levels.push_back(topic.substr(start));
  return levels;
}

// The node reports its processing latency as an MQTT 5 user property.
std::optional<double> latency_property(const std::map<std::string, std::string>& props) {
  for (const char* name : {"latency_ms", "latency"}) {
    auto it = props.find(name);
    if (it == props.end()) continue;
    try {
      return std::stod(it->second);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Live table of machine readings and their triage verdicts"};
  std::string url = "mqtt://127.0.0.1:1883";
  std::string prefix = "factory";
  std::string result_level = "triage";
  bool force_plain = false;
  app.add_option("--url", url, "broker URL, mqtt://host:port")->capture_default_str();
  app.add_option("--prefix", prefix, "topic prefix of readings and results")->capture_default_str();
  app.add_option("--results", result_level, "last topic level of results: <prefix>/<machine>/<results>")
      ->capture_default_str();
  app.add_flag("--plain", force_plain, "one line per result even on a terminal");
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  const bool live = !force_plain && ::isatty(STDOUT_FILENO);

  edgenode::examples::TriageBoard board;
  std::mutex board_mutex;
  bool changed = false;

  auto client = edgenode::examples::MqttClient::connect(url, "edgenode-demo-view-" + std::to_string(::getpid()));
  if (!client) {
    spdlog::error("{}", client.error().message);
    return client.error().kind == edgenode::ErrorKind::bad_input ? 2 : 1;
  }
  auto on_message = [&](const edgenode::examples::ReceivedMessage& msg) {
    auto levels = split_topic(msg.topic);
    if (levels.size() != 3) return;
    auto payload = nlohmann::json::parse(msg.payload, nullptr, /*allow_exceptions=*/false);
    std::lock_guard lock(board_mutex);
    if (levels[2] == "reading") {
      board.add_reading(levels[1], payload);
    } else if (levels[2] == result_level) {
      auto row = board.add_result(levels[1], payload, latency_property(msg.user_properties), now_ms());
      if (!live) std::printf("%s\n", edgenode::examples::TriageBoard::plain_line(row).c_str());
      if (!live) std::fflush(stdout);
      changed = true;
    }
  };
  auto subscribed = (*client)->subscribe(prefix + "/+/+", 1, on_message);
  if (!subscribed) {
    spdlog::error("{}", subscribed.error().message);
    return 1;
  }
  if (!live) spdlog::info("demo-view listening url={} results={}/+/{}", url, prefix, result_level);

  if (live) std::printf("\x1b[?25l\x1b[2J");  // hide the cursor, clear the screen
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!live) continue;
    std::string screen;
    {
      std::lock_guard lock(board_mutex);
      if (!changed) continue;
      changed = false;
      screen = board.render(true);
    }
    std::printf("\x1b[H\x1b[J%s", screen.c_str());  // home, clear below, redraw
    std::fflush(stdout);
  }
  if (live) std::printf("\x1b[?25h\n");  // give the cursor back
  return 0;
}
