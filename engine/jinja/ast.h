// The syntax tree a template compiles to. One generic node type per layer (expression,
// statement) keeps the parser and interpreter small; the kind says which fields are used.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/jinja/lexer.h"
#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  literal,   // value
  name,      // name
  list,      // children = items
  dict,      // children = key0, value0, key1, value1, ...
  attr,      // children[0] . name
  index,     // children[0] [ children[1] ]
  slice,     // children[0] [ children[1] : children[2] : children[3] ] (null = omitted)
  call,      // children[0] ( children[1..], keywords )
  filter,    // children[0] | name ( children[1..], keywords )
  test,      // children[0] is [not] name ( children[1..] )
  unary,     // name = "not" | "-" | "+", children[0]
  binary,    // name = operator, children[0], children[1]
  ternary,   // children[1] if children[0] else children[2] (may be null)
};

struct Expr {
  ExprKind kind;
  SourcePos pos;
  std::string name;
  Value value;
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind {
  text,       // text
  output,     // {{ exprs[0] }}
  if_,        // exprs[i] guards bodies[i]; an extra trailing body is the else branch
  for_,       // targets in exprs[0] [if exprs[1]]: bodies[0], else bodies[1]
  set,        // targets (or targets[0].attr) = exprs[0]
  set_block,  // {% set targets[0] %}bodies[0]{% endset %}
  macro,      // name(targets with defaults exprs[i] or null): bodies[0]
  call_block,  // {% call(targets with defaults exprs[i] or null) exprs.back() %}: bodies[0] is caller()
  filter_block,  // {% filter exprs[0] %}: exprs[0] is a filter node applied to bodies[0]
  break_,
  continue_,
};

struct Stmt {
  StmtKind kind;
  SourcePos pos;
  std::string text;                  // literal text, or the macro name
  std::vector<std::string> targets;  // loop / set / macro parameter names
  std::string attr;                  // set ns.attr
  std::vector<ExprPtr> exprs;
  std::vector<Body> bodies;
};

}  // namespace edgenode::engine::jinja
