// The `when` language: a small, safe expression over a message.
//
//   payload.rms > 0.5 and topic_levels[1] != "test"
//   exists(payload.temp_c) and abs(payload.delta) >= max(2, payload.limit * 0.1)
//
// Literals (numbers, 'strings' or "strings", true, false, null), names (payload, topic,
// topic_levels, window, result, node), field access (a.b, a["k"], a[0]), comparisons,
// and/or/not, arithmetic (+ - * / %, + also joins strings) and the functions abs, min,
// max, len, exists. A missing field reads as null. Compiled once at config load; there
// are no loops or calls out, so evaluation is bounded by the size of the expression.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace edgenode::pipeline {

// The values an expression may read; a null pointer reads as null.
struct ExprScope {
  const nlohmann::json* payload = nullptr;
  const std::string* topic = nullptr;
  const nlohmann::json* topic_levels = nullptr;
  const nlohmann::json* window = nullptr;
  const nlohmann::json* result = nullptr;
  const nlohmann::json* node = nullptr;
};

struct ExprProgram;

class Expression {
 public:
  static constexpr size_t kMaxSourceBytes = 4096;
  static constexpr int kMaxNesting = 64;

  // On a syntax error, `error_offset` (when given) receives the 0-based offset of the
  // problem within `source`, and the message says what was expected there.
  static Result<Expression> compile(std::string_view source, int* error_offset = nullptr);

  Result<nlohmann::json> evaluate(const ExprScope& scope) const;
  // For filters: the expression must yield true or false.
  Result<bool> test(const ExprScope& scope) const;
  const std::string& source() const;

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

 private:
  explicit Expression(std::unique_ptr<ExprProgram> program);
  std::unique_ptr<ExprProgram> program_;
};

}  // namespace edgenode::pipeline
