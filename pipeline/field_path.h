// Dotted field paths into a result object: "status", "reading.temp_c".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace edgenode::pipeline {

// The value at `path`, or nullptr when any level is missing.
const nlohmann::json* find_field(const nlohmann::json& root, const std::string& path);
// Sets `path`, creating objects on the way; replaces a non-object level.
void set_field(nlohmann::json& root, const std::string& path, nlohmann::json value);
void remove_field(nlohmann::json& root, const std::string& path);

}  // namespace edgenode::pipeline
