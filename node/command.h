// Subcommands of the one `edgenode` binary. Each command file registers itself:
//   static const CommandRegistrar reg{add_model_commands};
// The registrar runs before main(); main() builds the CLI from every registered command.
#pragma once

#include <CLI/CLI.hpp>

#include "base/result.h"

namespace edgenode::node {

// Exit codes every command keeps: 0 success, 1 internal failure, 2 bad input.
enum ExitCode { kExitOk = 0, kExitInternal = 1, kExitBadInput = 2 };

// Prints "edgenode: <message>" (one line) on stderr and returns the exit code for the
// error's kind.
int report_error(const Error& error);

// A command adds its subcommand(s) to the app. The callback it installs stores its exit
// code in `exit_code` (CLI11 callbacks return void).
using AddCommands = void (*)(CLI::App& app, int& exit_code);

struct CommandRegistrar {
  explicit CommandRegistrar(AddCommands add);
};

}  // namespace edgenode::node
