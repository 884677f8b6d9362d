// tojson as chat templates expect it: Python's json.dumps with ensure_ascii=False, keys in
// insertion order, separators ", " and ": " without indent and "," and ": " with it.
#pragma once

#include <string>

#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

// indent < 0 means a single line. Undefined dumps as null; callables are an error.
std::string dump_json(const Value& v, int indent);

}  // namespace edgenode::engine::jinja
