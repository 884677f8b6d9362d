// Walks the syntax tree against a context and writes the output. One Interpreter per
// render call: it owns the scopes, counts loop iterations, macro depth and output bytes,
// and stops with a TemplateError when a limit is passed.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/template.h"
#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

class Interpreter {
 public:
  // `context` must be an object; its keys are the template's global names.
  Interpreter(const Limits& limits, const Value& context);

  void render(const Body& body, std::string& out);

  Value eval(const Expr& e);
  const Limits& limits() const { return limits_; }
  // Counts one loop iteration (or one produced element) against the iteration limit.
  void count_iteration();
  // Rejects strings longer than the output limit and lists longer than the iteration limit
  // (guards against values that double in a loop).
  void check_size(const Value& v) const;

 private:
  using Frame = std::unordered_map<std::string, Value>;

  void exec_body(const Body& body);
  void exec(const Stmt& s);
  void exec_for(const Stmt& s);
  void exec_set(const Stmt& s);
  void define_macro(const Stmt& s);
  Value call_macro(const Stmt& s, CallArgs& args);
  void exec_call_block(const Stmt& s);
  // caller() of a call block: its body in the scope of the block (frames below site_depth).
  Value call_caller(const Stmt& s, size_t site_depth, size_t site_base, CallArgs& args);
  // A frame binding the arguments to the parameters of a macro or call block; `what` names it
  // in errors.
  Frame bind_arguments(const Stmt& s, const std::string& what, CallArgs& args);
  // Evaluates the defaults of the parameters the arguments left unset, into the top frame.
  void bind_defaults(const Stmt& s);
  std::string capture(const Body& body);
  void write(const std::string& text);

  Value eval_node(const Expr& e);
  Value eval_binary(const Expr& e);
  Value eval_call(const Expr& e);
  Value eval_attr(const Value& target, const std::string& name);
  Value eval_index(const Value& target, const Value& key);
  Value eval_slice(const Expr& e);
  CallArgs eval_args(const Expr& e, size_t first_child);

  Value lookup(const std::string& name) const;
  void assign(const std::string& name, Value value);

  const Limits& limits_;
  std::vector<Frame> frames_;   // [0] globals (built-ins + context), [1] template-level sets
  size_t scope_base_ = 1;       // lookups skip frames below this (except globals) inside macros
  std::string* out_ = nullptr;
  size_t iterations_ = 0;
  int macro_depth_ = 0;
  Value pending_caller_;        // caller() for the macro a call block is about to call
  int eval_depth_ = 0;
  enum class LoopSignal { none, break_, continue_ } signal_ = LoopSignal::none;
};

}  // namespace edgenode::engine::jinja
