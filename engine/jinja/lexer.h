// Splits template source into tokens: raw text, tag delimiters and the expression tokens
// inside tags. Whitespace control ({%- -%} {{- -}} {#- -#}, trim_blocks, lstrip_blocks) and
// comments are resolved here, so the parser only sees text that will be printed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/template.h"

namespace edgenode::engine::jinja {

struct SourcePos {
  int line = 1;
  int col = 1;
};

enum class TokenKind {
  text,           // literal template text
  expr_open,      // {{
  expr_close,     // }}
  stmt_open,      // {%
  stmt_close,     // %}
  name,           // identifiers and keywords
  string,         // string literal, unescaped
  integer,
  floating,
  op,             // operators and punctuation
  end,
};

struct Token {
  TokenKind kind;
  std::string text;
  SourcePos pos;
};

// Throws TemplateError naming line:col on an unterminated tag, string or comment.
std::vector<Token> tokenize_template(std::string_view source, Whitespace whitespace = {});

}  // namespace edgenode::engine::jinja
