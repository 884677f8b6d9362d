// A sandboxed Jinja subset, one implementation for the model's chat template and for
// pipeline prompt templates. Values are JSON (nlohmann::json): the context is a JSON object.
// Compile once, render many times; rendering never touches files or the environment and
// stops with an error past its output, loop and recursion limits.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace edgenode::engine::jinja {

struct Limits {
  size_t max_output_bytes = 1 << 20;
  size_t max_loop_iterations = 100000;
  int max_recursion_depth = 64;
};

// Whitespace after and before block tags ({% %} and {# #}), as Jinja's Environment options
// of the same names. Off for pipeline templates; chat templates turn both on (chat.h).
struct Whitespace {
  bool trim_blocks = false;    // drop the newline right after a block tag
  bool lstrip_blocks = false;  // drop the spaces and tabs between a line start and a block tag
};

class Template {
 public:
  // Syntax errors name line and column within the template source.
  static Result<Template> compile(std::string_view source, Limits limits = {}, Whitespace whitespace = {});
  Result<std::string> render(const nlohmann::json& context) const;
  // As above, keeping the context's key order (tojson prints dicts in insertion order).
  Result<std::string> render(const nlohmann::ordered_json& context) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  struct Program;
  explicit Template(std::unique_ptr<Program> program);
  std::unique_ptr<Program> program_;
};

}  // namespace edgenode::engine::jinja
