// What a stage factory sees when it builds its stage from config: its values, where
// they were written (for errors), the node's names, and — when the node is going to
// run rather than only check — the loaded models.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/config_tree.h"
#include "pipeline/diagnostics.h"
#include "pipeline/model_worker.h"

namespace edgenode::pipeline {

using ModelSet = std::map<std::string, std::shared_ptr<ModelWorker>>;

struct NodeNames {
  std::string node_id;
  std::string topic_prefix;
  std::set<std::string> models;  // declared under `models:`
  std::set<std::string> buses;   // "" is the default bus when node.bus is set
};

struct BuildContext {
  const ConfigTree& tree;
  Diagnostics& diags;
  const NodeNames& names;
  const ModelSet* models = nullptr;  // null when only checking
  std::string pointer;               // the stage's JSON pointer in the config
  std::string pipeline;              // the pipeline's name

  const nlohmann::json& values() const { return tree.values.at(nlohmann::json::json_pointer(pointer)); }
  SourcePos pos(const std::string& field = {}) const { return tree.pos(field.empty() ? pointer : pointer + "/" + field); }
  void error(const std::string& field, const std::string& message) const { diags.error(pos(field), message); }
  // What expressions and templates see as `node`.
  nlohmann::json node_values() const { return {{"id", names.node_id}, {"topic_prefix", names.topic_prefix}}; }
  BuildContext at(const std::string& child) const {
    BuildContext c = *this;
    c.pointer = pointer + "/" + child;
    return c;
  }
};

}  // namespace edgenode::pipeline
