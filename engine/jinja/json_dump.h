// tojson as the reference renderer writes it, which follows Python's json.dumps with
// ensure_ascii=False: keys in insertion order, separators ", " and ": " on one line and
// "," and ": " with an indent; numbers as JavaScript prints them.
#pragma once

#include <string>

#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

struct JsonFormat {
  int indent = -1;                // < 0: one line
  bool ensure_ascii = false;      // escape everything from U+007F as \uXXXX (UTF-16 units)
  bool sort_keys = false;
  std::string item_separator;     // empty: the default for the indent
  std::string key_separator;      // empty: ": "
  bool undefined_as_null = true;  // false prints "undefined", as when a list is printed
};

// Callables are an error.
std::string dump_json(const Value& v, const JsonFormat& format);

}  // namespace edgenode::engine::jinja
