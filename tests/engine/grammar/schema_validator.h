// An independent validator for the JSON Schema subset the grammar supports, used to check
// generated output. Returns an empty string when valid, else what is wrong and where.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace edgenode::engine::grammar::testing {

inline size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

inline std::string validate(const nlohmann::json& v, const nlohmann::json& schema, const std::string& at = "$") {
  if (schema.is_boolean()) return schema.get<bool>() ? "" : at + ": schema false";
  if (schema.contains("const") && v != schema["const"]) return at + ": not the const value";
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) return at + ": not one of the enum values";
  }
  if (schema.contains("anyOf")) {
    for (const auto& alternative : schema["anyOf"]) {
      if (validate(v, alternative, at).empty()) return "";
    }
    return at + ": matches no anyOf alternative";
  }
  if (schema.contains("type")) {
    auto type_ok = [&](const std::string& t) {
      if (t == "object") return v.is_object();
      if (t == "array") return v.is_array();
      if (t == "string") return v.is_string();
      if (t == "number") return v.is_number();
      if (t == "integer") return v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())));
      if (t == "boolean") return v.is_boolean();
      if (t == "null") return v.is_null();
      return false;
    };
    bool ok = false;
    if (schema["type"].is_string()) {
      ok = type_ok(schema["type"].get<std::string>());
    } else {
      for (const auto& t : schema["type"]) ok = ok || type_ok(t.get<std::string>());
    }
    if (!ok) return at + ": wrong type " + v.type_name();
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const auto& r : schema["required"]) {
        if (!v.contains(r.get<std::string>())) return at + ": missing required " + r.get<std::string>();
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (schema.contains("properties") && schema["properties"].contains(it.key())) {
        std::string e = validate(it.value(), schema["properties"][it.key()], at + "." + it.key());
        if (!e.empty()) return e;
      } else if (schema.contains("additionalProperties")) {
        std::string e = validate(it.value(), schema["additionalProperties"], at + "." + it.key());
        if (!e.empty()) return at + ": additional property " + it.key() + " (" + e + ")";
      }
    }
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>()) return at + ": too few items";
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>()) return at + ": too many items";
    if (schema.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i) {
        std::string e = validate(v[i], schema["items"], at + "[" + std::to_string(i) + "]");
        if (!e.empty()) return e;
      }
    }
  }
  if (v.is_string()) {
    size_t n = code_points(v.get<std::string>());
    if (schema.contains("minLength") && n < schema["minLength"].get<size_t>()) return at + ": string too short";
    if (schema.contains("maxLength") && n > schema["maxLength"].get<size_t>()) return at + ": string too long";
  }
  return "";
}

}  // namespace edgenode::engine::grammar::testing
