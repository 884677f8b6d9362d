// Recursive-descent parser for the `when` language, lowest precedence first:
// or → and → not → comparison → additive → multiplicative → unary → postfix → primary.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "pipeline/expression_program.h"
#include "pipeline/suggest.h"

namespace edgenode::pipeline {
namespace {

enum class Tok { end, number, string, ident, op };

struct Token {
  Tok kind = Tok::end;
  std::string text;  // identifier, operator, or decoded string
  double number = 0;
  bool integral = false;
  int offset = 0;
};

const std::vector<std::string> kNames = {"payload", "topic", "topic_levels", "window", "result", "node"};
const std::vector<std::string> kFunctions = {"abs", "min", "max", "len", "exists"};

class Parser {
 public:
  Parser(std::string_view src, int max_nesting, ExprProgram& program)
      : src_(src), max_nesting_(max_nesting), program_(program) {}

  bool run() {
    if (!lex()) return false;
    int root = 0;
    if (!parse_or(root)) return false;
    if (tree_too_deep_) return false;
    if (peek().kind != Tok::end) return fail(peek().offset, "unexpected '" + peek().text + "'");
    program_.root = root;
    return true;
  }

  std::string error;
  int error_offset = 0;

 private:
  bool fail(int offset, std::string message) {
    if (error.empty()) {
      error = std::move(message);
      error_offset = offset;
    }
    return false;
  }

  bool lex() {
    size_t i = 0;
    while (i < src_.size()) {
      const char c = src_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.offset = static_cast<int>(i);
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[i + 1])))) {
        size_t j = i;
        bool integral = true;
        while (j < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
        if (j < src_.size() && src_[j] == '.') {
          integral = false;
          ++j;
          while (j < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
        }
        if (j < src_.size() && (src_[j] == 'e' || src_[j] == 'E')) {
          size_t k = j + 1;
          if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
          if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
            integral = false;
            j = k;
            while (j < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
          }
        }
        const std::string text(src_.substr(i, j - i));
        t.kind = Tok::number;
        t.text = text;
        t.number = std::strtod(text.c_str(), nullptr);
        t.integral = integral && text.size() < 18;
        i = j;
      } else if (c == '"' || c == '\'') {
        size_t j = i + 1;
        std::string value;
        bool closed = false;
        while (j < src_.size()) {
          if (src_[j] == c) {
            closed = true;
            ++j;
            break;
          }
          if (src_[j] == '\\' && j + 1 < src_.size()) {
            const char e = src_[j + 1];
            value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
            j += 2;
            continue;
          }
          value += src_[j++];
        }
        if (!closed) return fail(t.offset, "unterminated string");
        t.kind = Tok::string;
        t.text = std::move(value);
        i = j;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[j])) || src_[j] == '_')) ++j;
        t.kind = Tok::ident;
        t.text = std::string(src_.substr(i, j - i));
        i = j;
      } else {
        static const char* kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
        t.kind = Tok::op;
        for (const char* two : kTwo) {
          if (src_.substr(i, 2) == two) t.text = two;
        }
        if (t.text.empty()) {
          if (std::string_view("<>+-*/%()[].,!").find(c) == std::string_view::npos) {
            return fail(t.offset, std::string("unexpected character '") + c + "'");
          }
          t.text = std::string(1, c);
        }
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.offset = static_cast<int>(src_.size());
    end.text = "end of expression";
    tokens_.push_back(end);
    return true;
  }

  const Token& peek() const { return tokens_[pos_]; }
  bool accept_op(std::string_view op) {
    if (peek().kind == Tok::op && peek().text == op) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool accept_word(std::string_view word) {
    if (peek().kind == Tok::ident && peek().text == word) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool expect_op(std::string_view op) {
    if (accept_op(op)) return true;
    return fail(peek().offset, "expected '" + std::string(op) + "' but found '" + peek().text + "'");
  }

  // Loops build chains (a - b - c, a.b.c, x[0][0]) without recursing here, so the tree
  // can be deeper than the parser's nesting; evaluation recurses once per level.
  static constexpr int kMaxTreeDepth = 256;

  int add(ExprNode node) {
    int depth = 1;
    for (int child : node.children) depth = std::max(depth, node_depths_[static_cast<size_t>(child)] + 1);
    if (depth > kMaxTreeDepth && !tree_too_deep_) {
      tree_too_deep_ = true;
      fail(node.offset, "expression nested too deeply");
    }
    node_depths_.push_back(depth);
    program_.nodes.push_back(std::move(node));
    return static_cast<int>(program_.nodes.size()) - 1;
  }
  int add_op(ExprOp op, int offset, std::vector<int> children) {
    ExprNode n;
    n.op = op;
    n.offset = offset;
    n.children = std::move(children);
    return add(std::move(n));
  }

  // Guards every recursive rule so a deeply nested input cannot exhaust the stack.
  struct Depth {
    Parser& p;
    explicit Depth(Parser& parser) : p(parser) { ++p.depth_; }
    ~Depth() { --p.depth_; }
  };
  bool too_deep() {
    if (depth_ <= max_nesting_) return false;
    fail(peek().offset, "expression nested too deeply");
    return true;
  }

  bool parse_or(int& out) {
    Depth d(*this);
    if (too_deep()) return false;
    if (!parse_and(out)) return false;
    while (true) {
      const int offset = peek().offset;
      if (!accept_word("or") && !accept_op("||")) return true;
      int rhs = 0;
      if (!parse_and(rhs)) return false;
      out = add_op(ExprOp::logical_or, offset, {out, rhs});
    }
  }

  bool parse_and(int& out) {
    if (!parse_not(out)) return false;
    while (true) {
      const int offset = peek().offset;
      if (!accept_word("and") && !accept_op("&&")) return true;
      int rhs = 0;
      if (!parse_not(rhs)) return false;
      out = add_op(ExprOp::logical_and, offset, {out, rhs});
    }
  }

  bool parse_not(int& out) {
    Depth d(*this);
    if (too_deep()) return false;
    const int offset = peek().offset;
    if (accept_word("not") || accept_op("!")) {
      int operand = 0;
      if (!parse_not(operand)) return false;
      out = add_op(ExprOp::logical_not, offset, {operand});
      return true;
    }
    return parse_comparison(out);
  }

  bool parse_comparison(int& out) {
    if (!parse_additive(out)) return false;
    static const std::pair<const char*, ExprOp> kOps[] = {
        {"==", ExprOp::equal}, {"!=", ExprOp::not_equal},     {"<=", ExprOp::less_equal},
        {">=", ExprOp::greater_equal}, {"<", ExprOp::less}, {">", ExprOp::greater}};
    for (const auto& [text, op] : kOps) {
      const int offset = peek().offset;
      if (accept_op(text)) {
        int rhs = 0;
        if (!parse_additive(rhs)) return false;
        out = add_op(op, offset, {out, rhs});
        if (peek().kind == Tok::op && (peek().text == "<" || peek().text == ">" || peek().text == "==" ||
                                       peek().text == "!=" || peek().text == "<=" || peek().text == ">=")) {
          return fail(peek().offset, "comparisons do not chain; use 'and'");
        }
        return true;
      }
    }
    return true;
  }

  bool parse_additive(int& out) {
    if (!parse_multiplicative(out)) return false;
    while (true) {
      const int offset = peek().offset;
      ExprOp op;
      if (accept_op("+")) op = ExprOp::add;
      else if (accept_op("-")) op = ExprOp::subtract;
      else return true;
      int rhs = 0;
      if (!parse_multiplicative(rhs)) return false;
      out = add_op(op, offset, {out, rhs});
    }
  }

  bool parse_multiplicative(int& out) {
    if (!parse_unary(out)) return false;
    while (true) {
      const int offset = peek().offset;
      ExprOp op;
      if (accept_op("*")) op = ExprOp::multiply;
      else if (accept_op("/")) op = ExprOp::divide;
      else if (accept_op("%")) op = ExprOp::modulo;
      else return true;
      int rhs = 0;
      if (!parse_unary(rhs)) return false;
      out = add_op(op, offset, {out, rhs});
    }
  }

  bool parse_unary(int& out) {
    Depth d(*this);
    if (too_deep()) return false;
    const int offset = peek().offset;
    if (accept_op("-")) {
      int operand = 0;
      if (!parse_unary(operand)) return false;
      out = add_op(ExprOp::negate, offset, {operand});
      return true;
    }
    return parse_postfix(out);
  }

  bool parse_postfix(int& out) {
    if (!parse_primary(out)) return false;
    while (true) {
      const int offset = peek().offset;
      if (accept_op(".")) {
        if (peek().kind != Tok::ident) return fail(peek().offset, "expected a field name after '.'");
        ExprNode n;
        n.op = ExprOp::member;
        n.offset = offset;
        n.text = peek().text;
        n.children = {out};
        ++pos_;
        out = add(std::move(n));
      } else if (accept_op("[")) {
        int key = 0;
        if (!parse_or(key)) return false;
        if (!expect_op("]")) return false;
        out = add_op(ExprOp::index, offset, {out, key});
      } else {
        return true;
      }
    }
  }

  bool parse_primary(int& out) {
    const Token t = peek();
    ExprNode n;
    n.offset = t.offset;
    switch (t.kind) {
      case Tok::number:
        ++pos_;
        n.value = t.integral ? nlohmann::json(static_cast<int64_t>(t.number)) : nlohmann::json(t.number);
        out = add(std::move(n));
        return true;
      case Tok::string:
        ++pos_;
        n.value = t.text;
        out = add(std::move(n));
        return true;
      case Tok::ident:
        return parse_identifier(out);
      case Tok::op:
        if (accept_op("(")) {
          if (!parse_or(out)) return false;
          return expect_op(")");
        }
        return fail(t.offset, "expected a value but found '" + t.text + "'");
      case Tok::end:
        return fail(t.offset, "expected a value but the expression ended");
    }
    return false;
  }

  bool parse_identifier(int& out) {
    const Token t = peek();
    ++pos_;
    ExprNode n;
    n.offset = t.offset;
    if (t.text == "true" || t.text == "false") {
      n.value = t.text == "true";
      out = add(std::move(n));
      return true;
    }
    if (t.text == "null") {
      out = add(std::move(n));
      return true;
    }
    if (accept_op("(")) {
      bool known = false;
      for (const auto& f : kFunctions) known = known || f == t.text;
      if (!known) return fail(t.offset, "unknown function '" + t.text + "'" + did_you_mean(t.text, kFunctions));
      n.op = ExprOp::call;
      n.text = t.text;
      if (!accept_op(")")) {
        while (true) {
          int arg = 0;
          if (!parse_or(arg)) return false;
          n.children.push_back(arg);
          if (accept_op(")")) break;
          if (!expect_op(",")) return false;
        }
      }
      const size_t argc = n.children.size();
      const bool one = t.text == "abs" || t.text == "len" || t.text == "exists";
      if (one && argc != 1) return fail(t.offset, t.text + "() takes one argument");
      if (!one && argc < 2) return fail(t.offset, t.text + "() takes two or more arguments");
      out = add(std::move(n));
      return true;
    }
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (kNames[i] == t.text) {
        n.op = ExprOp::name;
        n.name = static_cast<ExprName>(i);
        out = add(std::move(n));
        return true;
      }
    }
    return fail(t.offset, "unknown name '" + t.text + "'" + did_you_mean(t.text, kNames) +
                              " (expressions read payload, topic, topic_levels, window, result, node)");
  }

  std::string_view src_;
  int max_nesting_;
  ExprProgram& program_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<int> node_depths_;  // per node of program_, leaves are 1
  bool tree_too_deep_ = false;
};

}  // namespace

Result<ExprProgram> parse_expression(std::string_view source, int max_nesting, int& error_offset) {
  ExprProgram program;
  program.source = std::string(source);
  Parser parser(source, max_nesting, program);
  if (!parser.run()) {
    error_offset = parser.error_offset;
    return bad_input(parser.error);
  }
  return program;
}

}  // namespace edgenode::pipeline
