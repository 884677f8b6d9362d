// Loading the models a config declares, each onto its own worker thread.
#pragma once

#include "base/result.h"
#include "pipeline/build_context.h"
#include "pipeline/node_settings.h"

namespace edgenode::node {

// Loads every model; the first failure is returned naming the model and its file.
Result<pipeline::ModelSet> load_models(const std::vector<pipeline::ModelSettings>& models);

}  // namespace edgenode::node
