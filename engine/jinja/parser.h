// Builds the syntax tree from tokens. Nesting of expressions and blocks is bounded, so a
// hostile template cannot overflow the stack while being compiled.
#pragma once

#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/lexer.h"

namespace edgenode::engine::jinja {

// Throws TemplateError naming line:col on a syntax error or nesting deeper than max_depth.
Body parse_template(const std::vector<Token>& tokens, int max_depth);

}  // namespace edgenode::engine::jinja
