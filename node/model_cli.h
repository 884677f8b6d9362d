// Pieces shared by the `edgenode model ...` subcommands.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "engine/engine.h"
#include "node/command.h"

namespace edgenode::node {

// Loads a model; on failure reports the error and stores its exit code.
std::unique_ptr<engine::Model> load_model_or_report(const engine::LoadOptions& options, int& exit_code);

// `model bench`, defined in model_bench.cpp.
void add_model_bench_command(CLI::App& model, int& exit_code);

}  // namespace edgenode::node
