// A config read against its spec: plain JSON values (durations in ms, sizes in bytes,
// defaults filled) plus the source position of every value, so later checks (an
// expression that does not compile, a model name nobody declared) can still point at
// `file:line:col`.
#pragma once

#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "pipeline/diagnostics.h"

namespace edgenode::pipeline {

struct ConfigTree {
  nlohmann::json values = nlohmann::json::object();
  // JSON pointer ("/pipelines/0/when") → where that value was written.
  std::unordered_map<std::string, SourcePos> positions;
  // Values written as quoted YAML scalars: their text starts one column after the position.
  std::unordered_map<std::string, bool> quoted;

  // The position of `pointer`, or of its nearest ancestor that has one.
  SourcePos pos(const std::string& pointer) const;
  // Where character `offset` (0-based) of a single-line string value sits in the file.
  SourcePos pos_in_value(const std::string& pointer, int offset) const;
};

}  // namespace edgenode::pipeline
