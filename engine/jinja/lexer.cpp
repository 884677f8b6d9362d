#include "engine/jinja/lexer.h"

#include <cctype>

#include "engine/jinja/error.h"
#include "engine/jinja/utf8.h"

namespace edgenode::engine::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  Lexer(std::string_view source, Whitespace whitespace) : src_(source), whitespace_(whitespace) {}

  std::vector<Token> run() {
    // As Jinja's default (keep_trailing_newline=False): one trailing newline is dropped.
    if (!src_.empty() && src_.back() == '\n') src_.remove_suffix(1);
    while (i_ < src_.size()) {
      size_t open = find_tag_open(i_);
      if (open == std::string_view::npos) {
        emit_text(src_.substr(i_), false);
        advance_to(src_.size());
        break;
      }
      bool strip_before = open + 2 < src_.size() && src_[open + 2] == '-';
      char kind = src_[open + 1];
      emit_text(src_.substr(i_, text_end_before_tag(open, kind != '{') - i_), strip_before);
      advance_to(open);
      if (kind == '#') {
        lex_comment();
      } else {
        lex_tag(kind == '{');
      }
    }
    tokens_.push_back({TokenKind::end, "", pos_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag_open(size_t from) const {
    for (size_t k = from; k + 1 < src_.size(); ++k) {
      if (src_[k] == '{' && (src_[k + 1] == '{' || src_[k + 1] == '%' || src_[k + 1] == '#')) return k;
    }
    return std::string_view::npos;
  }

  // Where the text before the tag at `open` ends: with lstrip_blocks, a block tag that only
  // spaces and tabs separate from the start of its line takes them away. The line starts
  // after \n, \r, U+2028 or U+2029 (the line terminators of the reference renderer, which
  // applies the rule to the source text).
  size_t text_end_before_tag(size_t open, bool block_tag) const {
    if (!whitespace_.lstrip_blocks || !block_tag) return open;
    size_t k = open;
    while (k > i_ && (src_[k - 1] == ' ' || src_[k - 1] == '\t')) --k;
    const bool line_start = k == 0 || src_[k - 1] == '\n' || src_[k - 1] == '\r' ||
                            (k >= 3 && src_.substr(k - 3, 2) == "\xE2\x80" &&
                             (src_[k - 1] == '\xA8' || src_[k - 1] == '\xA9'));
    return line_start ? k : open;
  }

  // With trim_blocks, the newline right after a block tag is not text.
  void skip_newline_after_block() {
    if (whitespace_.trim_blocks && i_ < src_.size() && src_[i_] == '\n') advance_to(i_ + 1);
  }

  void advance_to(size_t target) {
    for (; i_ < target; ++i_) {
      if (src_[i_] == '\n') {
        ++pos_.line;
        pos_.col = 1;
      } else {
        ++pos_.col;
      }
    }
  }

  [[noreturn]] void error_at(SourcePos p, const std::string& message) const {
    throw TemplateError(std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + message, true);
  }

  void emit_text(std::string_view text, bool strip_trailing) {
    size_t begin = 0, end = text.size();
    if (strip_next_leading_) {
      for (size_t n; begin < end && (n = js_whitespace_at(text, begin)) != 0;) begin += n;
      strip_next_leading_ = false;
    }
    if (strip_trailing) {
      for (size_t n; end > begin && (n = js_whitespace_before(text.substr(0, end), end)) != 0;) end -= n;
    }
    if (end > begin) tokens_.push_back({TokenKind::text, std::string(text.substr(begin, end - begin)), pos_});
  }

  void lex_comment() {
    SourcePos start = pos_;
    size_t close = src_.find("#}", i_ + 2);
    if (close == std::string_view::npos) error_at(start, "unterminated comment");
    strip_next_leading_ = close > i_ + 2 && src_[close - 1] == '-';
    advance_to(close + 2);
    skip_newline_after_block();
  }

  void lex_tag(bool is_expr) {
    SourcePos start = pos_;
    tokens_.push_back({is_expr ? TokenKind::expr_open : TokenKind::stmt_open, is_expr ? "{{" : "{%", start});
    advance_to(i_ + 2);
    if (i_ < src_.size() && (src_[i_] == '-' || src_[i_] == '+')) advance_to(i_ + 1);
    const char closer = is_expr ? '}' : '%';
    int brace_depth = 0;
    size_t first_token = tokens_.size();
    while (true) {
      while (i_ < src_.size() && is_space(src_[i_])) advance_to(i_ + 1);
      if (i_ >= src_.size()) error_at(start, is_expr ? "unterminated '{{'" : "unterminated '{%'");
      char c = src_[i_];
      bool strip = c == '-' && i_ + 2 < src_.size() && src_[i_ + 1] == closer && src_[i_ + 2] == '}';
      bool plain_close = c == closer && i_ + 1 < src_.size() && src_[i_ + 1] == '}';
      if ((strip || plain_close) && brace_depth == 0) {
        tokens_.push_back({is_expr ? TokenKind::expr_close : TokenKind::stmt_close, "", pos_});
        advance_to(i_ + (strip ? 3 : 2));
        strip_next_leading_ = strip;
        if (!is_expr) skip_newline_after_block();
        if (!is_expr && is_raw_block(first_token)) lex_raw_body(start);
        return;
      }
      lex_expression_token(brace_depth);
    }
  }

  bool is_raw_block(size_t first_token) const {
    return tokens_.size() == first_token + 2 && tokens_[first_token].kind == TokenKind::name &&
           tokens_[first_token].text == "raw";
  }

  // Everything up to {% endraw %} is text; the raw/endraw tag tokens are dropped.
  void lex_raw_body(SourcePos start) {
    tokens_.resize(tokens_.size() - 3);
    size_t search = i_;
    while (true) {
      size_t open = src_.find("{%", search);
      if (open == std::string_view::npos) error_at(start, "unterminated raw block: missing {% endraw %}");
      size_t k = open + 2;
      bool strip_before = k < src_.size() && src_[k] == '-';
      if (strip_before) ++k;
      while (k < src_.size() && is_space(src_[k])) ++k;
      if (src_.substr(k, 6) == "endraw") {
        k += 6;
        while (k < src_.size() && is_space(src_[k])) ++k;
        bool strip_after = k < src_.size() && src_[k] == '-';
        if (strip_after) ++k;
        if (src_.substr(k, 2) == "%}") {
          emit_text(src_.substr(i_, text_end_before_tag(open, true) - i_), strip_before);
          advance_to(k + 2);
          strip_next_leading_ = strip_after;
          skip_newline_after_block();
          return;
        }
      }
      search = open + 2;
    }
  }

  void lex_expression_token(int& brace_depth) {
    SourcePos at = pos_;
    char c = src_[i_];
    if (is_name_start(c)) {
      size_t k = i_;
      while (k < src_.size() && is_name_char(src_[k])) ++k;
      tokens_.push_back({TokenKind::name, std::string(src_.substr(i_, k - i_)), at});
      advance_to(k);
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number(at);
      return;
    }
    if (c == '\'' || c == '"') {
      lex_string(at);
      return;
    }
    static const char* const kTwoCharOps[] = {"**", "//", "==", "!=", "<=", ">="};
    for (const char* op : kTwoCharOps) {
      if (src_.substr(i_, 2) == op) {
        tokens_.push_back({TokenKind::op, op, at});
        advance_to(i_ + 2);
        return;
      }
    }
    static const std::string_view kOneCharOps = "+-*/%~<>=()[]{},.:|";
    if (kOneCharOps.find(c) != std::string_view::npos) {
      if (c == '{') ++brace_depth;
      if (c == '}') --brace_depth;
      tokens_.push_back({TokenKind::op, std::string(1, c), at});
      advance_to(i_ + 1);
      return;
    }
    error_at(at, std::string("unexpected character '") + c + "'");
  }

  void lex_number(SourcePos at) {
    size_t k = i_;
    while (k < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[k])) || src_[k] == '_')) ++k;
    bool is_float = false;
    if (k + 1 < src_.size() && src_[k] == '.' && std::isdigit(static_cast<unsigned char>(src_[k + 1]))) {
      is_float = true;
      ++k;
      while (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) ++k;
    }
    if (k < src_.size() && (src_[k] == 'e' || src_[k] == 'E')) {
      size_t e = k + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
      if (e < src_.size() && std::isdigit(static_cast<unsigned char>(src_[e]))) {
        is_float = true;
        k = e;
        while (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) ++k;
      }
    }
    std::string text;
    for (char d : src_.substr(i_, k - i_)) {
      if (d != '_') text += d;
    }
    tokens_.push_back({is_float ? TokenKind::floating : TokenKind::integer, text, at});
    advance_to(k);
  }

  void lex_string(SourcePos at) {
    char quote = src_[i_];
    std::string value;
    size_t k = i_ + 1;
    while (true) {
      if (k >= src_.size()) error_at(at, "unterminated string literal");
      char c = src_[k];
      if (c == quote) break;
      if (c == '\\' && k + 1 < src_.size()) {
        char e = src_[k + 1];
        switch (e) {
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case 'r': value += '\r'; break;
          case 'b': value += '\b'; break;
          case 'f': value += '\f'; break;
          case 'v': value += '\v'; break;
          case '\\': value += '\\'; break;
          case '\'': value += '\''; break;
          case '"': value += '"'; break;
          default: value += '\\'; value += e; break;
        }
        k += 2;
        continue;
      }
      value += c;
      ++k;
    }
    tokens_.push_back({TokenKind::string, std::move(value), at});
    advance_to(k + 1);
  }

  std::string_view src_;
  Whitespace whitespace_;
  size_t i_ = 0;
  SourcePos pos_;
  bool strip_next_leading_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize_template(std::string_view source, Whitespace whitespace) {
  return Lexer(source, whitespace).run();
}

}  // namespace edgenode::engine::jinja
