// `edgenode run CONFIG`: runs the node in the foreground until SIGINT or SIGTERM; SIGHUP
// reloads the config file. Exit 0 after a clean stop, 2 for a config the node refuses at
// start, 1 when a bus cannot start.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "node/command.h"
#include "node/node_runtime.h"

namespace edgenode::node {
namespace {

// A signal may be delivered to any thread: libraries (OpenBLAS) start threads before main()
// with the default mask, so blocking the signals cannot cover them all. A handler catches
// them wherever they land and only writes the signal number to this pipe, which the main
// thread waits on between telemetry records.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int signal_number) {
  const char byte = static_cast<char>(signal_number);
  [[maybe_unused]] ssize_t written = ::write(stop_pipe[1], &byte, 1);
}

bool catch_stop_signals() {
  if (::pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0 &&
         ::sigaction(SIGHUP, &action, nullptr) == 0;
}

// The signal's number, or -1 when none came within timeout_ms.
int wait_for_signal(int timeout_ms) {
  pollfd fd{stop_pipe[0], POLLIN, 0};
  ::poll(&fd, 1, timeout_ms);  // readable, timed out, or interrupted by the handler itself
  char byte = 0;
  return ::read(stop_pipe[0], &byte, 1) == 1 ? byte : -1;
}

// The config file's text, or nothing when it cannot be read (check reports why).
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Builds and starts a node from config text that passed the check, taking the models in
// `reusable` whose config did not change instead of loading them again.
Result<std::unique_ptr<NodeRuntime>> start_node(const std::string& text, const std::string& path,
                                                const LoadedModels& reusable = {},
                                                std::vector<bus::Message> handed_over = {}) {
  // The runtime builds the pipelines again, now with the models loaded.
  auto config = pipeline::load_config_text(text, path);
  auto node = NodeRuntime::create(config, reusable);
  if (!node) return Error{node.error().message, ErrorKind::bad_input};
  auto started = (*node)->start(std::move(handed_over));
  if (!started) {
    (*node)->stop();
    return started.error();
  }
  spdlog::info("node_started id={} prefix={} pipelines={}", (*node)->settings().id, (*node)->settings().topic_prefix,
               config.tree.values["pipelines"].size());
  return node;
}

// Each diagnostic at its own log level, as "config file:line:col: message" (the level names
// the severity).
void log_diagnostics(const pipeline::Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) {
    const auto level = d.severity == pipeline::Severity::error ? spdlog::level::err : spdlog::level::warn;
    spdlog::log(level, "config {}: {}", diagnostics.where(d), d.message);
  }
}

// SIGHUP: the file is checked first and a config with errors is refused, each error logged
// as file:line:col, while the running node goes on untouched. A good one replaces the
// running node the way a stop and a start would (inputs in flight drained or journaled; with
// a persistent session the broker keeps what arrives meanwhile), except that the retained
// status stays `online` and the models whose config and file did not change stay loaded
// (new ones are loaded before the running node stops). When the status moves (another
// topic_prefix or control broker), the old place is told `offline`. If the new node cannot
// start, the previous config is started again; if that fails too, the node says `offline`
// and run() exits.
void reload(const std::string& path, std::string& running_text, std::unique_ptr<NodeRuntime>& node) {
  const auto text = read_text(path);
  auto checked = pipeline::check_config_file(path);
  if (!text || !checked.ok()) {
    log_diagnostics(checked.diagnostics);
    spdlog::error("reload_refused errors={} the running config stays", checked.diagnostics.error_count());
    return;
  }
  log_diagnostics(checked.diagnostics);
  if (checked.node.buses.empty()) {  // passes the check when it has no pipeline either
    spdlog::error("reload_refused reason=\"the config declares no bus (node.bus or node.buses)\" "
                  "the running config stays");
    return;
  }
  spdlog::info("reload_started path={}", path);
  const auto started_at = std::chrono::steady_clock::now();
  // New and changed models load while the running node still serves: the handover does not
  // wait for them, and one that cannot load leaves the running node untouched. The running
  // node's models are held here too while it stops, for a fallback to it.
  const LoadedModels previous_models = node->loaded_models();
  auto models = load_models(checked.node.models, previous_models);
  if (!models) {
    spdlog::error("reload_failed reason=\"{}\" the running config stays", models.error().message);
    return;
  }
  for (const auto& m : *models) {
    for (const auto& p : previous_models) {
      if (p.worker == m.worker) spdlog::info("model_kept name={} path={}", m.settings.name, m.settings.path);
    }
  }
  const pipeline::NodeSettings previous = node->settings();
  const auto handover_at = std::chrono::steady_clock::now();
  const bool status_moves = NodeRuntime::status_location(checked.node) != NodeRuntime::status_location(previous);
  const size_t left = node->stop(status_moves ? StopReason::reload_moving_status : StopReason::reload);
  auto handed_over = node->take_handed_over();
  node.reset();
  auto fresh = start_node(*text, path, *models, std::move(handed_over));
  if (fresh) {
    node = std::move(fresh).value();
    running_text = *text;
    const auto done_at = std::chrono::steady_clock::now();
    // handover_ms: from the old node's stop to the new one's `online`, inputs waiting.
    spdlog::info("reload_done messages_left_for_replay={} ms={:.0f} handover_ms={:.0f}", left,
                 std::chrono::duration<double, std::milli>(done_at - started_at).count(),
                 std::chrono::duration<double, std::milli>(done_at - handover_at).count());
    return;
  }
  spdlog::error("reload_failed reason=\"{}\" restarting with the previous config", fresh.error().message);
  auto restarted = start_node(running_text, path, previous_models);
  if (restarted) {
    node = std::move(restarted).value();
    return;
  }
  // Nothing runs any more: the `online` the previous node left must not outlive it.
  if (!status_moves) NodeRuntime::announce_offline(previous);
}

int run(const std::string& config_path) {
  if (!catch_stop_signals()) {
    std::perror("edgenode: cannot install the signal handler");
    return kExitInternal;
  }

  const auto config = pipeline::check_config_file(config_path);
  const auto text = read_text(config_path);
  if (!config.ok() || !text) {
    std::fputs(config.diagnostics.format_all().c_str(), stderr);
    std::fprintf(stderr, "edgenode: refusing to start with %zu config error(s)\n", config.diagnostics.error_count());
    return kExitBadInput;
  }
  log_diagnostics(config.diagnostics);

  std::string running_text = *text;
  auto started = start_node(running_text, config_path);
  if (!started) {
    // Last, so the reason is the final line and not buried under the stop's own notes.
    std::fprintf(stderr, "edgenode: %s\n", started.error().message.c_str());
    return started.error().kind == ErrorKind::bad_input ? kExitBadInput : kExitInternal;
  }
  std::unique_ptr<NodeRuntime> node = std::move(started).value();

  int signal_number = -1;
  while (node && signal_number != SIGINT && signal_number != SIGTERM) {
    signal_number = wait_for_signal(static_cast<int>(node->settings().telemetry_interval_ms));
    if (signal_number == SIGHUP)
      reload(config_path, running_text, node);
    else if (signal_number < 0)
      node->publish_telemetry();  // a telemetry tick
  }
  if (!node) {
    std::fprintf(stderr, "edgenode: the previous config could not be started again after a failed reload\n");
    return kExitInternal;
  }
  spdlog::info("node_stopping signal={}", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  const size_t left = node->stop();
  spdlog::info("node_stopped messages_left={}", left);
  return kExitOk;
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the node in the foreground until SIGINT/SIGTERM; SIGHUP reloads the config");
  static std::string config_path;
  cmd->add_option("config", config_path, "Config file (YAML)")->required();
  cmd->callback([&exit_code] { exit_code = run(config_path); });
}

const CommandRegistrar reg{add_run_command};

}  // namespace
}  // namespace edgenode::node
