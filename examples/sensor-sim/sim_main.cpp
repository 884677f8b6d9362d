// edgenode-sensor-sim: publishes machine readings as JSON to <prefix>/<machine>/reading,
// with occasional injected faults, until the duration ends or SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <random>
#include <thread>

#include "examples/sensor-sim/machine_simulator.h"
#include "examples/sensor-sim/mqtt_client.h"

namespace {

std::atomic<bool> g_stop{false};
void request_stop(int) { g_stop = true; }

const std::vector<std::string> kDefaultMachines = {"press-01", "pump-02", "fan-03", "mill-04"};

std::string to_json(const edgenode::examples::Reading& r) {
  nlohmann::json j = {{"machine", r.machine},     {"seq", r.seq},         {"vibration", r.vibration},
                      {"temperature", r.temperature}, {"current", r.current}, {"pressure", r.pressure},
                      {"trend", r.trend}};
  if (!r.injected_fault.empty()) j["injected_fault"] = r.injected_fault;
  j["sent_at_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return j.dump();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Publishes simulated machine readings to MQTT"};
  std::string url = "mqtt://127.0.0.1:1883";
  std::vector<std::string> machines = kDefaultMachines;
  std::string prefix = "factory";
  double rate = 1.0;
  double fault_probability = 0.03;
  double fault_seconds = 4.0;
  double duration_s = 0;
  uint64_t seed = 7;
  int qos = 1;
  app.add_option("--url", url, "broker URL, mqtt://host:port")->capture_default_str();
  app.add_option("--machines", machines, "machine names (comma separated)")->delimiter(',')->capture_default_str();
  app.add_option("--prefix", prefix, "topic prefix; readings go to <prefix>/<machine>/reading")->capture_default_str();
  app.add_option("--rate", rate, "readings per second per machine")->check(CLI::Range(0.01, 1000.0))->capture_default_str();
  app.add_option("--fault-probability", fault_probability, "chance per reading that a fault starts")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--fault-duration", fault_seconds, "seconds a fault lasts")->check(CLI::Range(0.0, 3600.0))->capture_default_str();
  app.add_option("--duration", duration_s, "seconds to run, 0 runs until interrupted")->check(CLI::Range(0.0, 1e6))->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  app.add_option("--qos", qos, "publish QoS")->check(CLI::Range(0, 2))->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (machines.empty()) {
    spdlog::error("--machines: give at least one machine name");
    return 2;
  }

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  auto client = edgenode::examples::MqttClient::connect(url, "edgenode-sensor-sim-" + std::to_string(::getpid()));
  if (!client) {
    spdlog::error("{}", client.error().message);
    return client.error().kind == edgenode::ErrorKind::bad_input ? 2 : 1;
  }

  std::mt19937_64 rng(seed);
  edgenode::examples::FaultSettings faults{fault_probability, std::max(1, static_cast<int>(fault_seconds * rate + 0.5))};
  std::vector<edgenode::examples::MachineSimulator> sims;
  for (const auto& name : machines) sims.emplace_back(name, faults, rng);
  spdlog::info("sensor-sim started url={} machines={} rate_hz={} fault_probability={}", url, machines.size(), rate,
               fault_probability);

  using clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration<double>(1.0 / rate);
  const auto start = clock::now();
  auto next_tick = start;
  long published = 0, faulty = 0;
  while (!g_stop) {
    if (duration_s > 0 && clock::now() - start >= std::chrono::duration<double>(duration_s)) break;
    for (auto& sim : sims) {
      auto reading = sim.next(rng);
      auto sent = (*client)->publish(prefix + "/" + reading.machine + "/reading", to_json(reading), qos);
      if (!sent) {
        spdlog::warn("publish failed error=\"{}\"", sent.error().message);
        continue;
      }
      ++published;
      if (!reading.injected_fault.empty()) {
        ++faulty;
        spdlog::info("fault injected machine={} seq={} fault=\"{}\"", reading.machine, reading.seq,
                     reading.injected_fault);
      }
    }
    next_tick += std::chrono::duration_cast<clock::duration>(period);
    // Sleep in short slices so a signal stops the simulator promptly.
    while (!g_stop && clock::now() < next_tick)
      std::this_thread::sleep_for(std::min<clock::duration>(next_tick - clock::now(), std::chrono::milliseconds(100)));
  }
  spdlog::info("sensor-sim stopped published={} with_fault={}", published, faulty);
  return 0;
}
