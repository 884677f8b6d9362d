// `edgenode run CONFIG`: runs the node in the foreground until SIGINT or SIGTERM.
// Exit 0 after a clean stop, 2 for a config the node refuses, 1 when a bus cannot start.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "node/command.h"
#include "node/node_runtime.h"

namespace edgenode::node {
namespace {

// A stop signal may be delivered to any thread: libraries (OpenBLAS) start threads before
// main() with the default mask, so blocking the signals cannot cover them all. A handler
// catches them wherever they land and only writes the signal number to this pipe, which
// the main thread waits on between telemetry records.
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
  return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

// The stop signal's number, or -1 when none came within timeout_ms.
int wait_for_stop_signal(int timeout_ms) {
  pollfd fd{stop_pipe[0], POLLIN, 0};
  ::poll(&fd, 1, timeout_ms);  // readable, timed out, or interrupted by the handler itself
  char byte = 0;
  return ::read(stop_pipe[0], &byte, 1) == 1 ? byte : -1;
}

int run(const std::string& config_path) {
  if (!catch_stop_signals()) {
    std::perror("edgenode: cannot install the stop signal handler");
    return kExitInternal;
  }

  auto config = pipeline::check_config_file(config_path);
  if (!config.ok()) {
    std::fputs(config.diagnostics.format_all().c_str(), stderr);
    std::fprintf(stderr, "edgenode: refusing to start with %zu config error(s)\n", config.diagnostics.error_count());
    return kExitBadInput;
  }
  for (const auto& d : config.diagnostics.all()) spdlog::warn("config {}", config.diagnostics.format(d));

  // The runtime builds the pipelines again, now with the models loaded.
  config = pipeline::load_config_file(config_path);
  auto node = NodeRuntime::create(config);
  if (!node) {
    std::fprintf(stderr, "edgenode: %s\n", node.error().message.c_str());
    return kExitBadInput;
  }
  auto started = (*node)->start();
  if (!started) {
    (*node)->stop();
    // Last, so the reason is the final line and not buried under the stop's own notes.
    std::fprintf(stderr, "edgenode: %s\n", started.error().message.c_str());
    return started.error().kind == ErrorKind::bad_input ? kExitBadInput : kExitInternal;
  }
  const auto& settings = (*node)->settings();
  spdlog::info("node_started id={} prefix={} pipelines={}", settings.id, settings.topic_prefix,
               config.tree.values["pipelines"].size());

  int signal_number = -1;
  while (signal_number < 0) {
    signal_number = wait_for_stop_signal(static_cast<int>(settings.telemetry_interval_ms));
    if (signal_number < 0) (*node)->publish_telemetry();  // a telemetry tick
  }
  spdlog::info("node_stopping signal={}", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  const size_t left = (*node)->stop();
  spdlog::info("node_stopped messages_left={}", left);
  return kExitOk;
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the node in the foreground until SIGINT/SIGTERM");
  static std::string config_path;
  cmd->add_option("config", config_path, "Config file (YAML)")->required();
  cmd->callback([&exit_code] { exit_code = run(config_path); });
}

const CommandRegistrar reg{add_run_command};

}  // namespace
}  // namespace edgenode::node
