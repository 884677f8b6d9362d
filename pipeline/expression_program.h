// The compiled form of an Expression: a tree of nodes in one vector, children by index.
// Shared by the parser (expression_parser.cpp) and the evaluator (expression.cpp).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace edgenode::pipeline {

enum class ExprOp {
  literal,   // value
  name,      // slot
  member,    // a.b: children[0], text = field name
  index,     // a[i]: children[0], children[1]
  negate,    // -a
  logical_not,
  logical_and,
  logical_or,
  add, subtract, multiply, divide, modulo,
  equal, not_equal, less, less_equal, greater, greater_equal,
  call,      // text = function name, children = arguments
};

enum class ExprName { payload, topic, topic_levels, window, result, node };

struct ExprNode {
  ExprOp op = ExprOp::literal;
  int offset = 0;  // where in the source, for error messages
  nlohmann::json value;
  ExprName name = ExprName::payload;
  std::string text;
  std::vector<int> children;
};

struct ExprProgram {
  std::string source;
  std::vector<ExprNode> nodes;
  int root = 0;
};

// Parses `source` into a program; on error sets `error_offset`.
Result<ExprProgram> parse_expression(std::string_view source, int max_nesting, int& error_offset);

}  // namespace edgenode::pipeline
