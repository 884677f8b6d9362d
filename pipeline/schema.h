// The config's documentation, generated from the same specs that validate it: a JSON
// Schema (draft-07, for editors such as VS Code's YAML extension) and the Markdown field
// reference committed as docs/config.md.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/spec.h"

namespace edgenode::pipeline {

nlohmann::json json_schema(const ObjectSpec& root);
std::string markdown_reference(const ObjectSpec& root);

// How a default is written in a config: 10000 ms → "10s", 1048576 bytes → "1MiB".
std::string format_default(const FieldSpec& field);

}  // namespace edgenode::pipeline
