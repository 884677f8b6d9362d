// `edgenode run CONFIG`: runs the node in the foreground until SIGINT or SIGTERM.
// Exit 0 after a clean stop, 2 for a config the node refuses, 1 when a bus cannot start.
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <string>

#include <spdlog/spdlog.h>

#include "node/command.h"
#include "node/node_runtime.h"

namespace edgenode::node {
namespace {

int run(const std::string& config_path) {
  // Block the stop signals in every thread (those started below inherit the mask);
  // the main thread takes them with sigtimedwait, between telemetry records.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

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
    std::fprintf(stderr, "edgenode: %s\n", started.error().message.c_str());
    (*node)->stop();
    return started.error().kind == ErrorKind::bad_input ? kExitBadInput : kExitInternal;
  }
  const auto& settings = (*node)->settings();
  spdlog::info("node_started id={} prefix={} pipelines={}", settings.id, settings.topic_prefix,
               config.tree.values["pipelines"].size());

  const timespec interval{static_cast<time_t>(settings.telemetry_interval_ms / 1000),
                          static_cast<long>(settings.telemetry_interval_ms % 1000) * 1000000L};
  int signal_number = -1;
  while (signal_number < 0) {
    signal_number = sigtimedwait(&stop_signals, nullptr, &interval);
    if (signal_number < 0) (*node)->publish_telemetry();  // timeout (or EINTR): a telemetry tick
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
