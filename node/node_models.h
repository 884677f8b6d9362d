// Loading the models a config declares, each onto its own worker thread, and keeping the
// ones a reloaded config declares unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/result.h"
#include "pipeline/build_context.h"
#include "pipeline/node_settings.h"

namespace edgenode::node {

// A loaded model with what it was loaded from. A ModelWorker is safe to share: every
// request goes through its one thread, whoever holds it.
struct LoadedModel {
  pipeline::ModelSettings settings;
  uintmax_t file_bytes = 0;
  std::filesystem::file_time_type file_time;  // a file replaced in place is loaded again
  std::shared_ptr<pipeline::ModelWorker> worker;
};
using LoadedModels = std::vector<LoadedModel>;

// Loads every model, taking from `reusable` each whose settings are equal and whose file
// has the same size and modification time; the first failure is returned naming the model
// and its file.
Result<LoadedModels> load_models(const std::vector<pipeline::ModelSettings>& models,
                                 const LoadedModels& reusable = {});

// The workers by model name, as the pipelines and telemetry look them up.
pipeline::ModelSet model_set(const LoadedModels& models);

}  // namespace edgenode::node
