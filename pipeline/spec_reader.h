// Reads a YAML document against an ObjectSpec into a ConfigTree, collecting every
// problem (wrong type, unknown key with a suggestion, missing required field, bad
// duration, unset ${VAR}) instead of stopping at the first.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "base/result.h"
#include "pipeline/config_tree.h"
#include "pipeline/diagnostics.h"
#include "pipeline/spec.h"

namespace edgenode::pipeline {

// Looks up an environment variable; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// Expands ${VAR} and ${VAR:-default} ("$$" is a literal '$'). On an unset variable with
// no default, returns the error and sets `error_offset` to where the reference starts.
Result<std::string> substitute_env(const std::string& text, const EnvLookup& env, int& error_offset);

class SpecReader {
 public:
  SpecReader(Diagnostics& diagnostics, EnvLookup env) : diags_(diagnostics), env_(std::move(env)) {}

  // Reads `node` (a mapping) as `spec` into tree.values at `pointer` ("" for the root).
  void read(const YAML::Node& node, const ObjectSpec& spec, const std::string& pointer, ConfigTree& tree);

 private:
  nlohmann::json read_object(const YAML::Node& node, const ObjectSpec& spec, const std::string& pointer,
                             ConfigTree& tree);
  nlohmann::json read_field(const YAML::Node& node, const FieldSpec& field, const std::string& pointer,
                            ConfigTree& tree);
  nlohmann::json read_scalar(const YAML::Node& node, const FieldSpec& field, const std::string& pointer,
                             ConfigTree& tree);
  nlohmann::json read_free_form(const YAML::Node& node, const std::string& pointer, ConfigTree& tree);
  // The scalar's text with ${VAR} expanded; reports and returns nullopt on failure.
  std::optional<std::string> scalar_text(const YAML::Node& node, const std::string& pointer, ConfigTree& tree);
  std::optional<std::string> read_secret_file(const YAML::Node& node, const std::string& pointer, ConfigTree& tree);

  Diagnostics& diags_;
  EnvLookup env_;
};

SourcePos position_of(const YAML::Node& node);
std::string json_pointer_escape(const std::string& key);

}  // namespace edgenode::pipeline
