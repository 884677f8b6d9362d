// A JSON Schema subset compiled to a graph of value shapes the byte automaton walks.
// Each node says, per first byte of a value, what may follow: an object, an array, a
// string, a number, or one of a set of literal JSON texts (true/false/null/enum/const).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace edgenode::engine::grammar {

constexpr int kNoSpec = -1;

struct ObjectSpec {
  std::vector<std::string> keys;       // property names as JSON string literals ("\"name\"")
  std::vector<int> key_nodes;          // value node of each property
  uint64_t required_mask = 0;          // bit i: keys[i] is required
  int free_value_node = kNoSpec;       // objects without properties: any key, values of this node
};

struct ArraySpec {
  int item_node = 0;
  uint32_t min_items = 0;
  uint32_t max_items = UINT32_MAX;
};

struct StringSpec {
  uint32_t min_length = 0;  // in Unicode code points
  uint32_t max_length = UINT32_MAX;
};

// A value's possible shapes. At most one spec per JSON type, so the first byte of a value
// always decides which one applies.
struct SchemaNode {
  int object = kNoSpec;   // index into SchemaGraph::objects
  int array = kNoSpec;    // index into SchemaGraph::arrays
  int string = kNoSpec;   // index into SchemaGraph::strings
  bool number = false;
  bool integer_only = false;
  std::vector<std::string> literals;  // complete JSON texts, compact
};

struct SchemaGraph {
  std::vector<SchemaNode> nodes;  // nodes[0] is the root
  std::vector<ObjectSpec> objects;
  std::vector<ArraySpec> arrays;
  std::vector<StringSpec> strings;
};

// Unsupported keywords that would constrain the value (pattern, $ref, minimum, ...) are an
// error naming the keyword and where it is; annotations (title, description, ...) are ignored.
Result<SchemaGraph> compile_schema(const nlohmann::json& schema);

}  // namespace edgenode::engine::grammar
