// edgenode: one binary, subcommands registered by the files beside this one.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "node/command.h"

namespace edgenode::node {

static std::vector<AddCommands>& registry() {
  static std::vector<AddCommands> commands;
  return commands;
}

CommandRegistrar::CommandRegistrar(AddCommands add) { registry().push_back(add); }

int report_error(const Error& error) {
  std::string message = error.message;
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(stderr, "edgenode: %s\n", message.c_str());
  return error.kind == ErrorKind::bad_input ? kExitBadInput : kExitInternal;
}

}  // namespace edgenode::node

int main(int argc, char** argv) {
  using namespace edgenode::node;
  spdlog::set_default_logger(spdlog::stderr_color_mt("edgenode"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  CLI::App app{"edgenode: a message-bus edge AI node for IoT pipelines", "edgenode"};
  app.set_version_flag("--version", EDGENODE_VERSION);
  app.require_subcommand(1);
  int exit_code = kExitOk;
  for (AddCommands add : registry()) add(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "edgenode: %s\n", e.what());
    return kExitBadInput;
  }
  return exit_code;
}
