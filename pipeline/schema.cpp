#include "pipeline/schema.h"

#include <cmath>
#include <set>
#include <sstream>

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

constexpr const char* kDurationPattern = "^\\s*[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h|d)\\s*$";
constexpr const char* kSizePattern = "^\\s*[0-9]+(\\.[0-9]+)?\\s*(B|KB|MB|GB|KiB|MiB|GiB)?\\s*$";

json object_schema(const ObjectSpec& spec);

json field_schema(const FieldSpec& f) {
  json s;
  switch (f.type) {
    case FieldType::string:
    case FieldType::expression:
    case FieldType::template_:
      s["type"] = "string";
      if (!f.enum_values.empty()) s["enum"] = f.enum_values;
      break;
    case FieldType::integer: s["type"] = "integer"; break;
    case FieldType::number: s["type"] = "number"; break;
    case FieldType::boolean: s["type"] = "boolean"; break;
    case FieldType::duration: s = {{"type", "string"}, {"pattern", kDurationPattern}}; break;
    case FieldType::size:
      s["anyOf"] = json::array({json{{"type", "integer"}, {"minimum", 0}}, json{{"type", "string"}, {"pattern", kSizePattern}}});
      break;
    case FieldType::string_list: s = {{"type", "array"}, {"items", {{"type", "string"}}}}; break;
    case FieldType::object: s = object_schema(*f.object); break;
    case FieldType::object_list: s = {{"type", "array"}, {"items", object_schema(*f.object)}}; break;
    case FieldType::object_map: s = {{"type", "object"}, {"additionalProperties", object_schema(*f.object)}}; break;
    case FieldType::mapping: s["type"] = "object"; break;
    case FieldType::any: break;
  }
  if (f.minimum && (f.type == FieldType::integer || f.type == FieldType::number)) s["minimum"] = *f.minimum;
  if (f.maximum && (f.type == FieldType::integer || f.type == FieldType::number)) s["maximum"] = *f.maximum;
  s["description"] = f.doc;
  if (!f.default_value.is_null() && !f.default_value.is_object()) {
    s["default"] = (f.type == FieldType::duration || f.type == FieldType::size) ? json(format_default(f)) : f.default_value;
  }
  return s;
}

json object_schema(const ObjectSpec& spec) {
  json s{{"type", "object"}, {"description", spec.doc}, {"additionalProperties", false}};
  json properties = json::object();
  json required = json::array();
  for (const auto& f : spec.fields) {
    properties[f.name] = field_schema(f);
    if (f.secret) {
      properties[f.name + "_file"] = {{"type", "string"}, {"description", "File holding " + f.name + " (trailing newline removed)."}};
    }
    if (f.required && !spec.exactly_one) required.push_back(f.name);
  }
  s["properties"] = properties;
  if (!required.empty()) s["required"] = required;
  if (spec.exactly_one) {
    s["minProperties"] = 1;
    s["maxProperties"] = 1;
  }
  return s;
}

std::string type_text(const FieldSpec& f) {
  std::string t = field_type_name(f.type);
  if (!f.enum_values.empty()) {
    t = "";
    for (const auto& e : f.enum_values) t += (t.empty() ? "" : " \\| ") + std::string("`") + e + "`";
  }
  return t;
}

std::string escape_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

struct Section {
  std::string path;
  const ObjectSpec* spec;
};

void collect(const ObjectSpec& spec, const std::string& path, std::vector<Section>& sections,
             std::set<const ObjectSpec*>& seen) {
  if (!seen.insert(&spec).second) return;
  sections.push_back({path, &spec});
  for (const auto& f : spec.fields) {
    if (f.object == nullptr) continue;
    std::string child = path.empty() ? f.name : path + "." + f.name;
    if (f.type == FieldType::object_list) child += "[]";
    if (f.type == FieldType::object_map) child += ".<name>";
    collect(*f.object, child, sections, seen);
  }
}

// A range bound as written in the docs: 1 rather than 1.0, 0.5 as is.
std::string bound_text(double bound) {
  return bound == std::floor(bound) && std::abs(bound) < 1e15 ? std::to_string(static_cast<int64_t>(bound))
                                                               : json(bound).dump();
}

}  // namespace

std::string format_default(const FieldSpec& f) {
  if (f.default_value.is_null() || f.default_value.is_object()) return "";
  if (f.type == FieldType::duration && f.default_value.is_number_integer()) {
    const int64_t ms = f.default_value.get<int64_t>();
    if (ms % 86400000 == 0 && ms > 0) return std::to_string(ms / 86400000) + "d";
    if (ms % 3600000 == 0 && ms > 0) return std::to_string(ms / 3600000) + "h";
    if (ms % 60000 == 0 && ms > 0) return std::to_string(ms / 60000) + "m";
    if (ms % 1000 == 0 && ms > 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
  }
  if (f.type == FieldType::size && f.default_value.is_number_integer()) {
    const int64_t b = f.default_value.get<int64_t>();
    if (b % 1048576 == 0 && b > 0) return std::to_string(b / 1048576) + "MiB";
    if (b % 1024 == 0 && b > 0) return std::to_string(b / 1024) + "KiB";
    return std::to_string(b);
  }
  if (f.default_value.is_string()) {
    const std::string s = f.default_value.get<std::string>();
    return s.empty() ? "\"\"" : s;
  }
  return f.default_value.dump();
}

json json_schema(const ObjectSpec& root) {
  json s = object_schema(root);
  s["$schema"] = "http://json-schema.org/draft-07/schema#";
  s["title"] = "edgenode config";
  return s;
}

std::string markdown_reference(const ObjectSpec& root) {
  std::ostringstream md;
  md << "# edgenode config reference\n\n"
     << "<!-- This file is produced by `edgenode schema --markdown` from the field specs in pipeline/; a test\n"
     << "     fails when it differs. Edit the specs, then regenerate it. -->\n\n"
     << "A config is one YAML file. Every value may use `${VAR}` or `${VAR:-default}` (environment\n"
     << "variables; an unset variable without a default is an error), and `$$` for a literal `$`.\n"
     << "A field marked *secret* may instead be given as `<field>_file: path`: the file's content with the\n"
     << "trailing newline removed. Durations are written `500ms`, `10s`, `2m`, `1h`; sizes `512`, `64KiB`,\n"
     << "`1MB` (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024). Relative paths are relative to the\n"
     << "working directory. `edgenode check` reports every problem as `file:line:col: message`;\n"
     << "`edgenode schema` prints the JSON Schema for editors.\n";
  std::vector<Section> sections;
  std::set<const ObjectSpec*> seen;
  collect(root, "", sections, seen);
  for (const auto& section : sections) {
    md << "\n## " << (section.path.empty() ? "(top level)" : "`" + section.path + "`") << "\n\n";
    md << section.spec->doc << "\n";
    if (section.spec->exactly_one) md << "\nExactly one of the fields below.\n";
    md << "\n| field | type | default | description |\n|---|---|---|---|\n";
    for (const auto& f : section.spec->fields) {
      std::string description = f.doc;
      if (f.secret) description += " *Secret*: or `" + f.name + "_file`.";
      if (f.minimum && f.maximum)
        description += " Range: " + bound_text(*f.minimum) + " to " + bound_text(*f.maximum) + ".";
      else if (f.minimum)
        description += " At least " + bound_text(*f.minimum) + ".";
      else if (f.maximum)
        description += " At most " + bound_text(*f.maximum) + ".";
      md << "| `" << f.name << "` | " << type_text(f) << " | " << (f.required ? "**required**" : escape_cell(format_default(f)))
         << " | " << escape_cell(description) << " |\n";
    }
    for (const auto& f : section.spec->fields) {
      if (!f.example.empty()) md << "\nExample (`" << f.name << "`):\n\n```yaml\n" << f.example << "\n```\n";
    }
  }
  return md.str();
}

}  // namespace edgenode::pipeline
