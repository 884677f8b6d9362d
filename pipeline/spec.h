// The one declaration of every config field. A stage declares its fields once — name,
// type, default, allowed values, doc — and that spec drives parsing and validation
// (spec_reader), `edgenode check`, the JSON Schema (`edgenode schema`) and docs/config.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgenode::pipeline {

enum class FieldType {
  string,
  integer,
  number,
  boolean,
  duration,     // "500ms", "10s", "2m" → integer milliseconds
  size,         // "1MB", "512KiB" → integer bytes
  expression,   // a `when`-language expression, compiled at load
  template_,    // a Jinja template, compiled at load
  string_list,
  object,       // nested fields: `object`
  object_list,  // a list of `object`
  object_map,   // name → `object`
  mapping,      // free-form mapping (e.g. a JSON Schema, a value table)
  any,          // any YAML value
};

struct ObjectSpec;

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::string;
  std::string doc;
  nlohmann::json default_value = nullptr;  // null: no default
  bool required = false;
  std::vector<std::string> enum_values;    // for strings: the allowed values
  std::optional<double> minimum;
  std::optional<double> maximum;
  bool secret = false;                     // may be given as `<name>_file` (file content, trimmed)
  const ObjectSpec* object = nullptr;      // for object, object_list, object_map
  std::string example;                     // YAML shown in the docs
};

struct ObjectSpec {
  std::string name;  // how the docs and messages call it, e.g. "input"
  std::string doc;
  std::vector<FieldSpec> fields;
  // Each item holds exactly one of the fields (e.g. a `post` step: `- round: {...}`).
  bool exactly_one = false;
  // Fields of which at most one may be set (e.g. `mqtt` or `zmq` in a bus).
  bool at_most_one = false;

  const FieldSpec* find(const std::string& field_name) const;
  std::vector<std::string> names() const;
};

const char* field_type_name(FieldType type);

}  // namespace edgenode::pipeline
