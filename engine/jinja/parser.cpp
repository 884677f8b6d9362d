#include "engine/jinja/parser.h"

#include <charconv>
#include <initializer_list>
#include <string>

#include "engine/jinja/error.h"

namespace edgenode::engine::jinja {
namespace {

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, int max_depth) : toks_(tokens), max_depth_(max_depth) {}

  Body run() {
    Body body = parse_body({});
    return body;
  }

 private:
  // Counts nesting while alive; past the limit, parsing stops with an error.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > p_.max_depth_) p_.error_here("template nesting deeper than " + std::to_string(p_.max_depth_));
    }
    ~DepthGuard() { --p_.depth_; }

   private:
    Parser& p_;
  };

  const Token& peek(size_t ahead = 0) const {
    size_t k = pos_ + ahead;
    return k < toks_.size() ? toks_[k] : toks_.back();
  }
  const Token& next() {
    const Token& t = peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  bool at_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::op && peek(ahead).text == op;
  }
  bool at_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::name && peek(ahead).text == name;
  }
  bool accept_op(const char* op) {
    if (!at_op(op)) return false;
    next();
    return true;
  }
  bool accept_name(const char* name) {
    if (!at_name(name)) return false;
    next();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::text: return "template text";
      case TokenKind::expr_open: return "'{{'";
      case TokenKind::expr_close: return "'}}'";
      case TokenKind::stmt_open: return "'{%'";
      case TokenKind::stmt_close: return "'%}'";
      case TokenKind::string: return "string literal";
      case TokenKind::integer:
      case TokenKind::floating: return "number " + t.text;
      case TokenKind::end: return "end of template";
      default: return "'" + t.text + "'";
    }
  }

  [[noreturn]] void error_at(SourcePos p, const std::string& message) const {
    throw TemplateError(std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + message, true);
  }
  [[noreturn]] void error_here(const std::string& message) const { error_at(peek().pos, message); }
  [[noreturn]] void unexpected(const std::string& wanted) const {
    error_here("expected " + wanted + ", got " + describe(peek()));
  }

  void expect_op(const char* op) {
    if (!accept_op(op)) unexpected(std::string("'") + op + "'");
  }
  std::string expect_name() {
    if (peek().kind != TokenKind::name) unexpected("a name");
    return next().text;
  }
  void expect_stmt_close() {
    if (peek().kind != TokenKind::stmt_close) unexpected("'%}'");
    next();
  }

  // ---- statements ----

  // Parses until a {% tag %} whose name is one of `terminators` (left unconsumed).
  Body parse_body(std::initializer_list<const char*> terminators) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = peek();
      if (t.kind == TokenKind::end) {
        if (terminators.size() != 0) {
          std::string names;
          for (const char* n : terminators) names += std::string(names.empty() ? "" : " or ") + "'" + n + "'";
          unexpected("{% " + names + " %}");
        }
        return body;
      }
      if (t.kind == TokenKind::text) {
        auto s = make_stmt(StmtKind::text, t.pos);
        s->text = next().text;
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::expr_open) {
        next();
        auto s = make_stmt(StmtKind::output, t.pos);
        s->exprs.push_back(parse_expression());
        if (peek().kind != TokenKind::expr_close) unexpected("'}}'");
        next();
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::stmt_open) {
        const Token& tag = peek(1);
        if (tag.kind == TokenKind::name) {
          for (const char* n : terminators) {
            if (tag.text == n) return body;
          }
        }
        next();
        parse_statement(body);
      } else {
        unexpected("template text or a tag");
      }
    }
  }

  StmtPtr make_stmt(StmtKind kind, SourcePos pos) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos;
    return s;
  }

  // Consumes "{% name" of an end/else tag the body stopped at.
  void consume_tag(const char* name) {
    next();  // {%
    if (!accept_name(name)) unexpected(std::string("'") + name + "'");
  }

  void parse_statement(Body& out) {
    if (peek().kind != TokenKind::name) unexpected("a tag name");
    const Token& tag = next();
    const std::string& name = tag.text;
    if (name == "if") return out.push_back(parse_if(tag.pos));
    if (name == "for") return out.push_back(parse_for(tag.pos));
    if (name == "set") return out.push_back(parse_set(tag.pos));
    if (name == "macro") return out.push_back(parse_macro(tag.pos));
    if (name == "call") return out.push_back(parse_call_block(tag.pos));
    if (name == "filter") return out.push_back(parse_filter_block(tag.pos));
    if (name == "break" || name == "continue") {
      expect_stmt_close();
      return out.push_back(make_stmt(name == "break" ? StmtKind::break_ : StmtKind::continue_, tag.pos));
    }
    if (name == "generation") {
      // A transformers marker for assistant-mask extraction: renders its body unchanged.
      expect_stmt_close();
      Body inner = parse_body({"endgeneration"});
      consume_tag("endgeneration");
      expect_stmt_close();
      for (auto& s : inner) out.push_back(std::move(s));
      return;
    }
    error_at(tag.pos, "unknown or unsupported tag '" + name + "'");
  }

  StmtPtr parse_if(SourcePos pos) {
    auto s = make_stmt(StmtKind::if_, pos);
    s->exprs.push_back(parse_expression());
    expect_stmt_close();
    s->bodies.push_back(parse_body({"elif", "else", "endif"}));
    while (true) {
      if (at_name("elif", 1)) {
        consume_tag("elif");
        s->exprs.push_back(parse_expression());
        expect_stmt_close();
        s->bodies.push_back(parse_body({"elif", "else", "endif"}));
      } else if (at_name("else", 1)) {
        consume_tag("else");
        expect_stmt_close();
        s->bodies.push_back(parse_body({"endif"}));
      } else {
        consume_tag("endif");
        expect_stmt_close();
        return s;
      }
    }
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> targets;
    bool parens = accept_op("(");
    targets.push_back(expect_name());
    while (accept_op(",")) targets.push_back(expect_name());
    if (parens) expect_op(")");
    return targets;
  }

  StmtPtr parse_for(SourcePos pos) {
    auto s = make_stmt(StmtKind::for_, pos);
    s->targets = parse_targets();
    if (!accept_name("in")) unexpected("'in'");
    s->exprs.push_back(parse_or());
    if (accept_name("if")) {
      s->exprs.push_back(parse_or());
    } else {
      s->exprs.push_back(nullptr);
    }
    if (at_name("recursive")) error_here("recursive loops are not supported");
    expect_stmt_close();
    s->bodies.push_back(parse_body({"else", "endfor"}));
    if (at_name("else", 1)) {
      consume_tag("else");
      expect_stmt_close();
      s->bodies.push_back(parse_body({"endfor"}));
    } else {
      s->bodies.emplace_back();
    }
    consume_tag("endfor");
    expect_stmt_close();
    return s;
  }

  StmtPtr parse_set(SourcePos pos) {
    auto s = make_stmt(StmtKind::set, pos);
    s->targets.push_back(expect_name());
    if (accept_op(".")) {
      s->attr = expect_name();
    } else {
      while (accept_op(",")) s->targets.push_back(expect_name());
    }
    if (accept_op("=")) {
      s->exprs.push_back(parse_expression());
      expect_stmt_close();
      return s;
    }
    if (s->targets.size() != 1 || !s->attr.empty()) unexpected("'='");
    expect_stmt_close();
    s->kind = StmtKind::set_block;
    s->bodies.push_back(parse_body({"endset"}));
    consume_tag("endset");
    expect_stmt_close();
    return s;
  }

  // "(a, b=default, ...)": names into s.targets, defaults (or null) into s.exprs.
  void parse_parameters(Stmt& s) {
    expect_op("(");
    while (!at_op(")")) {
      s.targets.push_back(expect_name());
      s.exprs.push_back(accept_op("=") ? parse_expression() : nullptr);
      if (!accept_op(",")) break;
    }
    expect_op(")");
  }

  StmtPtr parse_macro(SourcePos pos) {
    auto s = make_stmt(StmtKind::macro, pos);
    s->text = expect_name();
    parse_parameters(*s);
    expect_stmt_close();
    s->bodies.push_back(parse_body({"endmacro"}));
    consume_tag("endmacro");
    expect_stmt_close();
    return s;
  }

  // {% call m(args) %}...{% endcall %} or {% call(params) m(args) %}...{% endcall %}
  StmtPtr parse_call_block(SourcePos pos) {
    auto s = make_stmt(StmtKind::call_block, pos);
    if (at_op("(")) parse_parameters(*s);
    ExprPtr call = parse_expression();
    if (call->kind != ExprKind::call) error_at(pos, "a call block needs a macro call, as in {% call m(x) %}");
    s->exprs.push_back(std::move(call));
    expect_stmt_close();
    s->bodies.push_back(parse_body({"endcall"}));
    consume_tag("endcall");
    expect_stmt_close();
    return s;
  }

  StmtPtr parse_filter_block(SourcePos pos) {
    auto s = make_stmt(StmtKind::filter_block, pos);
    s->exprs.push_back(parse_filter_call(nullptr));
    expect_stmt_close();
    s->bodies.push_back(parse_body({"endfilter"}));
    consume_tag("endfilter");
    expect_stmt_close();
    return s;
  }

  // ---- expressions ----

  ExprPtr make_expr(ExprKind kind, SourcePos pos, std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    e->name = std::move(name);
    return e;
  }

  ExprPtr binary(const Token& op, ExprPtr left, ExprPtr right) {
    auto e = make_expr(ExprKind::binary, op.pos, op.text);
    e->children.push_back(std::move(left));
    e->children.push_back(std::move(right));
    return e;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    ExprPtr value = parse_or();
    if (at_name("if")) {
      SourcePos pos = next().pos;
      auto e = make_expr(ExprKind::ternary, pos);
      ExprPtr cond = parse_or();
      ExprPtr otherwise = accept_name("else") ? parse_expression() : nullptr;
      e->children.push_back(std::move(cond));
      e->children.push_back(std::move(value));
      e->children.push_back(std::move(otherwise));
      return e;
    }
    return value;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (at_name("or")) {
      const Token& op = next();
      left = binary(op, std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (at_name("and")) {
      const Token& op = next();
      left = binary(op, std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (at_name("not")) {
      DepthGuard guard(*this);
      auto e = make_expr(ExprKind::unary, next().pos, "not");
      e->children.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr left = parse_math1();
    while (true) {
      const Token& t = peek();
      if (t.kind == TokenKind::op &&
          (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">=")) {
        const Token& op = next();
        left = binary(op, std::move(left), parse_math1());
      } else if (at_name("in")) {
        const Token& op = next();
        left = binary(op, std::move(left), parse_math1());
      } else if (at_name("not") && at_name("in", 1)) {
        Token op = next();
        next();
        op.text = "not in";
        left = binary(op, std::move(left), parse_math1());
      } else {
        return left;
      }
    }
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (at_op("+") || at_op("-")) {
      const Token& op = next();
      left = binary(op, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (at_op("~")) {
      const Token& op = next();
      left = binary(op, std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
      const Token& op = next();
      left = binary(op, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (at_op("**")) {
      const Token& op = next();
      left = binary(op, std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (at_op("-") || at_op("+")) {
      const Token& op = next();
      node = make_expr(ExprKind::unary, op.pos, op.text);
      node->children.push_back(parse_unary(false));
    } else {
      node = parse_postfix(parse_primary());
    }
    if (!with_filter) return node;
    return parse_filters_and_tests(std::move(node));
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::name: {
        next();
        auto e = make_expr(ExprKind::literal, t.pos);
        if (t.text == "true" || t.text == "True") {
          e->value = Value(true);
        } else if (t.text == "false" || t.text == "False") {
          e->value = Value(false);
        } else if (t.text == "none" || t.text == "None") {
          e->value = Value::none();
        } else {
          e->kind = ExprKind::name;
          e->name = t.text;
        }
        return e;
      }
      case TokenKind::string: {
        auto e = make_expr(ExprKind::literal, t.pos);
        std::string s;
        while (peek().kind == TokenKind::string) s += next().text;  // adjacent literals join
        e->value = Value(std::move(s));
        return e;
      }
      case TokenKind::integer: {
        next();
        int64_t v = 0;
        auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
        if (ec != std::errc()) error_at(t.pos, "integer literal out of range: " + t.text);
        auto e = make_expr(ExprKind::literal, t.pos);
        e->value = Value(v);
        return e;
      }
      case TokenKind::floating: {
        next();
        auto e = make_expr(ExprKind::literal, t.pos);
        e->value = Value(std::strtod(t.text.c_str(), nullptr));
        return e;
      }
      case TokenKind::op:
        if (t.text == "(") return parse_paren();
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default: break;
    }
    unexpected("an expression");
  }

  ExprPtr parse_paren() {
    SourcePos pos = next().pos;
    if (accept_op(")")) return make_expr(ExprKind::list, pos);  // () is an empty tuple
    ExprPtr first = parse_expression();
    if (!at_op(",")) {
      expect_op(")");
      return first;
    }
    auto tuple = make_expr(ExprKind::list, pos);
    tuple->children.push_back(std::move(first));
    while (accept_op(",")) {
      if (at_op(")")) break;
      tuple->children.push_back(parse_expression());
    }
    expect_op(")");
    return tuple;
  }

  ExprPtr parse_list() {
    auto e = make_expr(ExprKind::list, next().pos);
    while (!at_op("]")) {
      e->children.push_back(parse_expression());
      if (!accept_op(",")) break;
    }
    expect_op("]");
    return e;
  }

  ExprPtr parse_dict() {
    auto e = make_expr(ExprKind::dict, next().pos);
    while (!at_op("}")) {
      e->children.push_back(parse_expression());
      expect_op(":");
      e->children.push_back(parse_expression());
      if (!accept_op(",")) break;
    }
    expect_op("}");
    return e;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (at_op(".")) {
        SourcePos pos = next().pos;
        auto e = make_expr(ExprKind::attr, pos);
        if (peek().kind == TokenKind::integer) {
          e->kind = ExprKind::index;
          e->children.push_back(std::move(node));
          e->children.push_back(parse_primary());
        } else {
          e->name = expect_name();
          e->children.push_back(std::move(node));
        }
        node = std::move(e);
      } else if (at_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (at_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr target) {
    SourcePos pos = next().pos;
    ExprPtr parts[3];
    int part = 0;
    bool is_slice = false;
    while (true) {
      if (at_op(":")) {
        next();
        is_slice = true;
        if (++part > 2) unexpected("']'");
        continue;
      }
      if (at_op("]")) break;
      if (parts[part]) unexpected("':' or ']'");
      parts[part] = parse_expression();
    }
    next();
    if (!is_slice) {
      if (!parts[0]) error_at(pos, "empty subscript");
      auto e = make_expr(ExprKind::index, pos);
      e->children.push_back(std::move(target));
      e->children.push_back(std::move(parts[0]));
      return e;
    }
    auto e = make_expr(ExprKind::slice, pos);
    e->children.push_back(std::move(target));
    for (auto& p : parts) e->children.push_back(std::move(p));
    return e;
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    while (!at_op(")")) {
      if (peek().kind == TokenKind::name && at_op("=", 1)) {
        std::string key = next().text;
        next();
        e.keywords.emplace_back(std::move(key), parse_expression());
      } else {
        if (!e.keywords.empty()) error_here("positional argument after keyword argument");
        e.children.push_back(parse_expression());
      }
      if (!accept_op(",")) break;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make_expr(ExprKind::call, peek().pos);
    e->children.push_back(std::move(callee));
    parse_call_args(*e);
    return e;
  }

  // "name" or "name(args)" after '|'; the operand is children[0] (null in a filter block).
  ExprPtr parse_filter_call(ExprPtr operand) {
    SourcePos pos = peek().pos;
    auto e = make_expr(ExprKind::filter, pos, expect_name());
    e->children.push_back(std::move(operand));
    if (at_op("(")) parse_call_args(*e);
    return e;
  }

  bool starts_test_argument() const {
    const Token& t = peek();
    if (t.kind == TokenKind::string || t.kind == TokenKind::integer || t.kind == TokenKind::floating) return true;
    if (t.kind == TokenKind::name) {
      static const char* const kStop[] = {"and", "or", "else", "if", "in", "not", "is"};
      for (const char* s : kStop) {
        if (t.text == s) return false;
      }
      return true;
    }
    return t.kind == TokenKind::op && (t.text == "[" || t.text == "{");
  }

  ExprPtr parse_filters_and_tests(ExprPtr node) {
    while (true) {
      if (at_op("|")) {
        next();
        node = parse_filter_call(std::move(node));
      } else if (at_name("is")) {
        SourcePos pos = next().pos;
        bool negated = accept_name("not");
        auto e = make_expr(ExprKind::test, pos, expect_name());
        e->negated = negated;
        e->children.push_back(std::move(node));
        if (at_op("(")) {
          parse_call_args(*e);
        } else if (starts_test_argument()) {
          e->children.push_back(parse_postfix(parse_primary()));
        }
        node = std::move(e);
      } else {
        return node;
      }
    }
  }

  const std::vector<Token>& toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_;
};

}  // namespace

Body parse_template(const std::vector<Token>& tokens, int max_depth) { return Parser(tokens, max_depth).run(); }

}  // namespace edgenode::engine::jinja
