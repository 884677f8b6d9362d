// Loading a node config: YAML → values checked against the specs (every problem reported
// at once as file:line:col), then the pipelines built from them (expressions, templates,
// regexes compiled; model and bus names resolved).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/config_tree.h"
#include "pipeline/diagnostics.h"
#include "pipeline/model_worker.h"
#include "pipeline/node_settings.h"
#include "pipeline/pipeline.h"
#include "pipeline/spec_reader.h"

namespace edgenode::pipeline {

// The spec of a whole config file: node, models, pipelines.
const ObjectSpec& config_spec();

struct LoadedConfig {
  Diagnostics diagnostics;
  ConfigTree tree;
  NodeSettings node;  // meaningful only without errors
  NodeNames names;
  bool ok() const { return !diagnostics.has_errors(); }
};

// Reads and validates `path`; never throws. Relative `*_file` paths are relative to the
// working directory.
LoadedConfig load_config_file(const std::string& path, const EnvLookup& env = process_environment());
// The same for text in memory; `name` is what diagnostics call the file.
LoadedConfig load_config_text(const std::string& text, const std::string& name,
                              const EnvLookup& env = process_environment());

// Builds every pipeline; problems go to config.diagnostics. With `models` null (only
// checking) infer stages are validated but cannot run.
std::vector<std::unique_ptr<Pipeline>> build_pipelines(LoadedConfig& config, const ModelSet* models);

// Warnings a technician should see from `check`: raw payloads leaving the site, TLS
// verification off, model files not present.
void add_config_warnings(LoadedConfig& config);

// Everything `check` reports: load_config_file, then build_pipelines without models (so
// expressions, templates and names are checked too), then warnings when there are no errors.
LoadedConfig check_config_file(const std::string& path, const EnvLookup& env = process_environment());

}  // namespace edgenode::pipeline
