#include "engine/grammar/schema_graph.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace edgenode::engine::grammar {
namespace {

// Object properties are tracked in a 64-bit mask.
constexpr size_t kMaxProperties = 64;
// Each nesting level takes one frame of the automaton's stack (32 frames, one more for a
// key being matched), so deeper schemas could not be generated to the end.
constexpr int kMaxSchemaDepth = 30;
// Candidate literals of a value are tracked in a 64-bit mask too.
constexpr size_t kMaxLiterals = 64;

struct SchemaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Compiler {
 public:
  SchemaGraph run(const nlohmann::json& schema) {
    graph_.nodes.emplace_back();
    SchemaNode root = compile(schema, "#", 0);
    graph_.nodes[0] = std::move(root);
    for (const SchemaNode& node : graph_.nodes) {
      if (node.literals.size() > kMaxLiterals) error("#", "more than 64 enum/const values in one place");
    }
    return std::move(graph_);
  }

 private:
  [[noreturn]] static void error(const std::string& where, const std::string& message) {
    throw SchemaError("json schema " + where + ": " + message);
  }

  int add_node(SchemaNode node) {
    graph_.nodes.push_back(std::move(node));
    return static_cast<int>(graph_.nodes.size() - 1);
  }

  // The node for "any JSON value", shared by every place that needs one.
  int any_node() {
    if (any_node_ != kNoSpec) return any_node_;
    any_node_ = add_node(SchemaNode{});
    SchemaNode any;
    ObjectSpec obj;
    obj.free_value_node = any_node_;
    any.object = static_cast<int>(graph_.objects.size());
    graph_.objects.push_back(obj);
    any.array = static_cast<int>(graph_.arrays.size());
    graph_.arrays.push_back(ArraySpec{any_node_, 0, UINT32_MAX});
    any.string = static_cast<int>(graph_.strings.size());
    graph_.strings.push_back(StringSpec{});
    any.number = true;
    any.literals = {"true", "false", "null"};
    graph_.nodes[static_cast<size_t>(any_node_)] = std::move(any);
    return any_node_;
  }

  static uint32_t count_keyword(const nlohmann::json& s, const char* key, const std::string& where) {
    if (!s.contains(key)) return 0;
    const auto& v = s[key];
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      error(where, std::string("'") + key + "' must be a non-negative integer");
    }
    return static_cast<uint32_t>(std::min<uint64_t>(v.get<uint64_t>(), UINT32_MAX));
  }

  void check_keywords(const nlohmann::json& s, const std::string& where) {
    static const std::set<std::string> kSupported = {
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems",
        "maxItems", "minLength", "maxLength", "anyOf"};
    static const std::set<std::string> kAnnotations = {
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "readOnly", "writeOnly",
        "deprecated", "format"};
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (kSupported.count(it.key()) || kAnnotations.count(it.key())) continue;
      error(where, "unsupported keyword '" + it.key() + "'");
    }
  }

  SchemaNode compile(const nlohmann::json& s, const std::string& where, int depth) {
    if (depth > kMaxSchemaDepth) error(where, "nested deeper than " + std::to_string(kMaxSchemaDepth));
    if (s.is_boolean()) {
      if (!s.get<bool>()) error(where, "schema 'false' matches nothing");
      return graph_.nodes[static_cast<size_t>(any_node())];
    }
    if (!s.is_object()) error(where, "a schema must be an object or a boolean");
    check_keywords(s, where);

    if (s.contains("enum") || s.contains("const")) {
      SchemaNode node;
      if (s.contains("const")) node.literals.push_back(s["const"].dump());
      if (s.contains("enum")) {
        if (!s["enum"].is_array() || s["enum"].empty()) error(where, "'enum' must be a non-empty array");
        for (const auto& v : s["enum"]) node.literals.push_back(v.dump());
      }
      if (s.contains("const") && s.contains("enum")) {
        // Both: only the const value satisfies both, if it is in the enum.
        std::string c = node.literals[0];
        if (std::find(node.literals.begin() + 1, node.literals.end(), c) == node.literals.end()) {
          error(where, "'const' is not one of the 'enum' values");
        }
        node.literals = {c};
      }
      return node;
    }

    if (s.contains("anyOf")) {
      const auto& alternatives = s["anyOf"];
      if (!alternatives.is_array() || alternatives.empty()) error(where, "'anyOf' must be a non-empty array");
      SchemaNode merged;
      for (size_t i = 0; i < alternatives.size(); ++i) {
        std::string alt_where = where + "/anyOf/" + std::to_string(i);
        nlohmann::json alternative = alternatives[i];
        merge(merged, compile(alternative, alt_where, depth + 1), alt_where);
      }
      return merged;
    }

    std::vector<std::string> types;
    if (s.contains("type")) {
      const auto& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array() && !t.empty()) {
        for (const auto& item : t) {
          if (!item.is_string()) error(where, "'type' entries must be strings");
          types.push_back(item.get<std::string>());
        }
      } else {
        error(where, "'type' must be a string or a non-empty array of strings");
      }
    } else {
      // No type: infer from the keywords present, or accept any value.
      if (s.contains("properties") || s.contains("required") || s.contains("additionalProperties")) types.push_back("object");
      if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) types.push_back("array");
      if (s.contains("minLength") || s.contains("maxLength")) types.push_back("string");
      if (types.empty()) return graph_.nodes[static_cast<size_t>(any_node())];
    }

    SchemaNode node;
    for (const std::string& type : types) {
      SchemaNode part;
      if (type == "object") {
        part.object = compile_object(s, where, depth);
      } else if (type == "array") {
        part.array = compile_array(s, where, depth);
      } else if (type == "string") {
        StringSpec spec;
        spec.min_length = count_keyword(s, "minLength", where);
        if (s.contains("maxLength")) spec.max_length = count_keyword(s, "maxLength", where);
        if (spec.min_length > spec.max_length) error(where, "minLength is greater than maxLength");
        part.string = static_cast<int>(graph_.strings.size());
        graph_.strings.push_back(spec);
      } else if (type == "number" || type == "integer") {
        part.number = true;
        part.integer_only = type == "integer";
      } else if (type == "boolean") {
        part.literals = {"true", "false"};
      } else if (type == "null") {
        part.literals = {"null"};
      } else {
        error(where, "unknown type '" + type + "'");
      }
      merge(node, std::move(part), where);
    }
    return node;
  }

  int compile_object(const nlohmann::json& s, const std::string& where, int depth) {
    ObjectSpec spec;
    std::vector<std::string> names;
    if (s.contains("properties")) {
      const auto& props = s["properties"];
      if (!props.is_object()) error(where, "'properties' must be an object");
      for (auto it = props.begin(); it != props.end(); ++it) {
        names.push_back(it.key());
        spec.key_nodes.push_back(add_node(compile(it.value(), where + "/properties/" + it.key(), depth + 1)));
      }
    }
    if (s.contains("required")) {
      const auto& req = s["required"];
      if (!req.is_array()) error(where, "'required' must be an array");
      for (const auto& r : req) {
        if (!r.is_string()) error(where, "'required' entries must be strings");
        std::string name = r.get<std::string>();
        auto found = std::find(names.begin(), names.end(), name);
        if (found == names.end()) {
          // A required name without a schema takes any value.
          names.push_back(name);
          spec.key_nodes.push_back(any_node());
          found = names.end() - 1;
        }
        spec.required_mask |= uint64_t{1} << static_cast<size_t>(found - names.begin());
      }
    }
    if (names.size() > kMaxProperties) error(where, "more than 64 properties");
    for (const std::string& n : names) spec.keys.push_back(nlohmann::json(n).dump());
    if (names.empty()) {
      // Without declared properties the object takes any keys; their values follow
      // additionalProperties (any value when absent or true).
      const nlohmann::json additional = s.contains("additionalProperties") ? s["additionalProperties"] : nlohmann::json(true);
      if (additional.is_boolean() && !additional.get<bool>()) {
        spec.free_value_node = kNoSpec;  // only {} is valid
      } else {
        spec.free_value_node = add_node(compile(additional, where + "/additionalProperties", depth + 1));
      }
    } else if (s.contains("additionalProperties") && !s["additionalProperties"].is_boolean()) {
      // Declared properties are the only keys generated; a schema here is checked for validity.
      compile(s["additionalProperties"], where + "/additionalProperties", depth + 1);
    }
    graph_.objects.push_back(std::move(spec));
    return static_cast<int>(graph_.objects.size() - 1);
  }

  int compile_array(const nlohmann::json& s, const std::string& where, int depth) {
    ArraySpec spec;
    spec.item_node = s.contains("items") ? add_node(compile(s["items"], where + "/items", depth + 1)) : any_node();
    spec.min_items = count_keyword(s, "minItems", where);
    if (s.contains("maxItems")) spec.max_items = count_keyword(s, "maxItems", where);
    if (spec.min_items > spec.max_items) error(where, "minItems is greater than maxItems");
    graph_.arrays.push_back(spec);
    return static_cast<int>(graph_.arrays.size() - 1);
  }

  // Combines alternatives. Two alternatives of the same structured type cannot be told
  // apart by their first byte, so that is refused rather than guessed.
  static void merge(SchemaNode& into, SchemaNode part, const std::string& where) {
    if (part.object != kNoSpec) {
      if (into.object != kNoSpec) error(where, "anyOf/type with two object alternatives is not supported");
      into.object = part.object;
    }
    if (part.array != kNoSpec) {
      if (into.array != kNoSpec) error(where, "anyOf/type with two array alternatives is not supported");
      into.array = part.array;
    }
    if (part.string != kNoSpec) {
      if (into.string != kNoSpec) error(where, "anyOf/type with two string alternatives is not supported");
      into.string = part.string;
    }
    if (part.number) {
      into.integer_only = into.number ? (into.integer_only && part.integer_only) : part.integer_only;
      into.number = true;
    }
    for (std::string& literal : part.literals) {
      if (std::find(into.literals.begin(), into.literals.end(), literal) == into.literals.end()) {
        into.literals.push_back(std::move(literal));
      }
    }
    // A literal whose type also has a spec is dropped where the spec covers it, and refused
    // where it cannot be told apart from the spec (objects, arrays).
    std::vector<std::string> kept;
    for (std::string& literal : into.literals) {
      char c = literal[0];
      if (c == '{' && into.object != kNoSpec) error(where, "an object literal beside an object schema is not supported");
      if (c == '[' && into.array != kNoSpec) error(where, "an array literal beside an array schema is not supported");
      if (c == '"' && into.string != kNoSpec) continue;
      if ((c == '-' || (c >= '0' && c <= '9')) && into.number) continue;
      kept.push_back(std::move(literal));
    }
    into.literals = std::move(kept);
  }

  SchemaGraph graph_;
  int any_node_ = kNoSpec;
};

}  // namespace

Result<SchemaGraph> compile_schema(const nlohmann::json& schema) {
  try {
    return Compiler().run(schema);
  } catch (const SchemaError& e) {
    return bad_input(e.what());
  }
}

}  // namespace edgenode::engine::grammar
