// Compile-and-render in one call for tests; a failure comes back as "ERROR: <message>".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/jinja/template.h"

namespace edgenode::engine::jinja::testing {

inline std::string render(const std::string& source, const nlohmann::json& context = nlohmann::json::object(),
                          Limits limits = {}) {
  auto compiled = Template::compile(source, limits);
  if (!compiled.ok()) return "ERROR: " + compiled.error().message;
  auto out = compiled->render(context);
  if (!out.ok()) return "ERROR: " + out.error().message;
  return *out;
}

}  // namespace edgenode::engine::jinja::testing
