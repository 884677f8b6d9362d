// `edgenode check CONFIG`: validates a config the way `run` would, without connecting or
// loading models; prints every error and warning as file:line:col and exits 1 on errors.
#include <cstdio>
#include <string>

#include "node/command.h"
#include "pipeline/config.h"

namespace edgenode::node {
namespace {

void add_check_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check", "Validate a config: every error as file:line:col, then warnings");
  static std::string config_path;
  cmd->add_option("config", config_path, "Config file (YAML)")->required();
  cmd->callback([&exit_code] {
    auto config = pipeline::check_config_file(config_path);
    std::fputs(config.diagnostics.format_all().c_str(), stderr);
    if (!config.ok()) {
      std::fprintf(stderr, "%s: %zu error(s)\n", config_path.c_str(), config.diagnostics.error_count());
      exit_code = 1;
      return;
    }
    std::printf("%s: ok (%zu pipeline(s))\n", config_path.c_str(), config.tree.values["pipelines"].size());
    exit_code = kExitOk;
  });
}

const CommandRegistrar reg{add_check_command};

}  // namespace
}  // namespace edgenode::node
