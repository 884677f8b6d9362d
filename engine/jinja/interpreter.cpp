#include "engine/jinja/interpreter.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <utility>

#include "engine/jinja/builtins.h"
#include "engine/jinja/error.h"
#include "engine/jinja/utf8.h"

namespace edgenode::engine::jinja {
namespace {

std::string located(SourcePos p, const std::string& message) {
  return std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + message;
}

// Python's floor division and modulo: the result takes the divisor's sign.
bool contains_namespace(const Value& v) {
  if (v.is_object()) {
    if (v.as_object().is_namespace) return true;
    for (const auto& entry : v.as_object().entries()) {
      if (contains_namespace(entry.second)) return true;
    }
  } else if (v.is_array()) {
    for (const Value& item : v.as_array()) {
      if (contains_namespace(item)) return true;
    }
  }
  return false;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

Interpreter::Interpreter(const Limits& limits, const Value& context) : limits_(limits) {
  Object globals;
  add_globals(globals);
  frames_.emplace_back();
  for (const auto& [name, value] : globals.entries()) frames_[0][name] = value;
  if (context.is_object()) {
    for (const auto& [name, value] : context.as_object().entries()) frames_[0][name] = value;
  }
  frames_.emplace_back();
}

void Interpreter::render(const Body& body, std::string& out) {
  out_ = &out;
  exec_body(body);
}

void Interpreter::count_iteration() {
  if (++iterations_ > limits_.max_loop_iterations) {
    fail("loop iteration limit of " + std::to_string(limits_.max_loop_iterations) + " exceeded");
  }
}

void Interpreter::check_size(const Value& v) const {
  if (v.is_string() && v.as_string().size() > limits_.max_output_bytes) {
    fail("string of " + std::to_string(v.as_string().size()) + " bytes exceeds the output limit");
  }
  if (v.is_array() && v.as_array().size() > limits_.max_loop_iterations) {
    fail("list of " + std::to_string(v.as_array().size()) + " items exceeds the loop iteration limit");
  }
}

void Interpreter::write(const std::string& text) {
  if (out_->size() + text.size() > limits_.max_output_bytes) {
    fail("output exceeds the limit of " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
  out_->append(text);
}

std::string Interpreter::capture(const Body& body) {
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  try {
    exec_body(body);
  } catch (...) {
    out_ = saved;
    throw;
  }
  out_ = saved;
  return buffer;
}

Value Interpreter::lookup(const std::string& name) const {
  for (size_t i = frames_.size(); i-- > scope_base_;) {
    auto it = frames_[i].find(name);
    if (it != frames_[i].end()) return it->second;
  }
  if (scope_base_ > 1) {
    auto it = frames_[1].find(name);
    if (it != frames_[1].end()) return it->second;
  }
  auto it = frames_[0].find(name);
  return it == frames_[0].end() ? Value() : it->second;
}

void Interpreter::assign(const std::string& name, Value value) { frames_.back()[name] = std::move(value); }

// ---- statements ----

void Interpreter::exec_body(const Body& body) {
  for (const StmtPtr& s : body) {
    exec(*s);
    if (signal_ != LoopSignal::none) return;
  }
}

void Interpreter::exec(const Stmt& s) {
  try {
    switch (s.kind) {
      case StmtKind::text: write(s.text); return;
      case StmtKind::output: write(eval(*s.exprs[0]).str()); return;
      case StmtKind::if_: {
        for (size_t i = 0; i < s.exprs.size(); ++i) {
          if (eval(*s.exprs[i]).truthy()) return exec_body(s.bodies[i]);
        }
        if (s.bodies.size() > s.exprs.size()) exec_body(s.bodies.back());
        return;
      }
      case StmtKind::for_: return exec_for(s);
      case StmtKind::set: return exec_set(s);
      case StmtKind::set_block: assign(s.targets[0], Value(capture(s.bodies[0]))); return;
      case StmtKind::macro: return define_macro(s);
      case StmtKind::call_block: return exec_call_block(s);
      case StmtKind::filter_block: {
        Value body(capture(s.bodies[0]));
        const Expr& filter = *s.exprs[0];
        CallArgs args = eval_args(filter, 1);
        write(apply_filter(*this, filter.name, body, args).str());
        return;
      }
      case StmtKind::break_: signal_ = LoopSignal::break_; return;
      case StmtKind::continue_: signal_ = LoopSignal::continue_; return;
    }
  } catch (const TemplateError& e) {
    if (e.located()) throw;
    throw TemplateError(located(s.pos, e.what()), true);
  }
}

void Interpreter::exec_for(const Stmt& s) {
  Value iterable = eval(*s.exprs[0]);
  Array items;
  if (iterable.is_array()) {
    items = iterable.as_array();
  } else if (iterable.is_object()) {
    for (const auto& entry : iterable.as_object().entries()) items.emplace_back(entry.first);
  } else if (iterable.is_string()) {
    for (std::string& ch : utf8_chars(iterable.as_string())) items.emplace_back(std::move(ch));
  } else if (!iterable.is_undefined() && !iterable.is_none()) {
    fail("cannot loop over " + iterable.type_name());
  }

  frames_.emplace_back();
  auto bind_targets = [&](const Value& item) {
    if (s.targets.size() == 1) {
      assign(s.targets[0], item);
      return;
    }
    if (!item.is_array() || item.as_array().size() != s.targets.size()) {
      fail("cannot unpack " + item.type_name() + " into " + std::to_string(s.targets.size()) + " loop variables");
    }
    for (size_t k = 0; k < s.targets.size(); ++k) assign(s.targets[k], item.as_array()[k]);
  };

  // A loop condition filters items before loop.index/length are computed, as in Jinja.
  if (s.exprs[1]) {
    Array kept;
    for (const Value& item : items) {
      count_iteration();
      bind_targets(item);
      if (eval(*s.exprs[1]).truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }

  const size_t n = items.size();
  for (size_t i = 0; i < n; ++i) {
    count_iteration();
    Object loop;
    loop.set("index", Value(i + 1));
    loop.set("index0", Value(i));
    loop.set("revindex", Value(n - i));
    loop.set("revindex0", Value(n - i - 1));
    loop.set("first", Value(i == 0));
    loop.set("last", Value(i + 1 == n));
    loop.set("length", Value(n));
    loop.set("previtem", i > 0 ? items[i - 1] : Value());
    loop.set("nextitem", i + 1 < n ? items[i + 1] : Value());
    assign("loop", Value(std::move(loop)));
    bind_targets(items[i]);
    exec_body(s.bodies[0]);
    if (signal_ == LoopSignal::break_) {
      signal_ = LoopSignal::none;
      break;
    }
    signal_ = LoopSignal::none;
  }
  frames_.pop_back();
  if (n == 0) exec_body(s.bodies[1]);
}

void Interpreter::exec_set(const Stmt& s) {
  Value value = eval(*s.exprs[0]);
  if (!s.attr.empty()) {
    Value target = lookup(s.targets[0]);
    if (!target.is_object() || !target.as_object().is_namespace) {
      fail("cannot set attribute '" + s.attr + "' on '" + s.targets[0] + "': only a namespace() accepts it");
    }
    // Namespaces are the only mutable values; keeping them out of each other rules out
    // reference cycles, which would make printing recurse forever.
    if (contains_namespace(value)) fail("a namespace cannot be stored in a namespace");
    target.as_object().set(s.attr, std::move(value));
    return;
  }
  if (s.targets.size() == 1) {
    assign(s.targets[0], std::move(value));
    return;
  }
  if (!value.is_array() || value.as_array().size() != s.targets.size()) {
    fail("cannot unpack " + value.type_name() + " into " + std::to_string(s.targets.size()) + " names");
  }
  for (size_t k = 0; k < s.targets.size(); ++k) assign(s.targets[k], value.as_array()[k]);
}

void Interpreter::define_macro(const Stmt& s) {
  const Stmt* macro = &s;
  assign(s.text, Value::function(s.text, [macro](Interpreter& in, CallArgs& args) {
    return in.call_macro(*macro, args);
  }));
}

Interpreter::Frame Interpreter::bind_arguments(const Stmt& s, const std::string& what, CallArgs& args) {
  if (args.positional.size() > s.targets.size()) {
    fail(what + " takes " + std::to_string(s.targets.size()) + " arguments, got " +
         std::to_string(args.positional.size()));
  }
  Frame frame;
  for (size_t i = 0; i < args.positional.size(); ++i) frame[s.targets[i]] = args.positional[i];
  for (auto& [key, value] : args.keyword) {
    bool known = false;
    for (const std::string& param : s.targets) known = known || param == key;
    if (!known) fail(what + " has no argument '" + key + "'");
    frame[key] = value;
  }
  return frame;
}

void Interpreter::bind_defaults(const Stmt& s) {
  for (size_t i = 0; i < s.targets.size(); ++i) {
    if (frames_.back().count(s.targets[i]) == 0) {
      assign(s.targets[i], s.exprs[i] ? eval(*s.exprs[i]) : Value());
    }
  }
}

Value Interpreter::call_macro(const Stmt& s, CallArgs& args) {
  if (macro_depth_ >= limits_.max_recursion_depth) {
    fail("macro recursion deeper than " + std::to_string(limits_.max_recursion_depth));
  }
  Frame frame = bind_arguments(s, "macro '" + s.text + "'", args);
  // Called from a call block: the macro sees that block as caller().
  if (!pending_caller_.is_undefined()) frame["caller"] = std::exchange(pending_caller_, Value());
  size_t saved_base = scope_base_;
  frames_.push_back(std::move(frame));
  scope_base_ = frames_.size() - 1;
  ++macro_depth_;
  std::string result;
  try {
    bind_defaults(s);
    result = capture(s.bodies[0]);
  } catch (...) {
    --macro_depth_;
    frames_.resize(scope_base_);
    scope_base_ = saved_base;
    throw;
  }
  --macro_depth_;
  frames_.resize(scope_base_);
  scope_base_ = saved_base;
  signal_ = LoopSignal::none;
  return Value(std::move(result));
}

void Interpreter::exec_call_block(const Stmt& s) {
  const Expr& call = *s.exprs.back();
  Value callee = eval(*call.children[0]);
  if (!callee.is_callable()) fail("a call block needs a macro, got " + callee.type_name());
  CallArgs args = eval_args(call, 1);
  const Stmt* block = &s;
  const size_t site_depth = frames_.size();
  const size_t site_base = scope_base_;
  pending_caller_ = Value::function("caller", [block, site_depth, site_base](Interpreter& in, CallArgs& caller_args) {
    return in.call_caller(*block, site_depth, site_base, caller_args);
  });
  Value result;
  try {
    result = callee.as_function()(*this, args);
  } catch (...) {
    pending_caller_ = Value();
    throw;
  }
  pending_caller_ = Value();
  check_size(result);
  write(result.str());
}

Value Interpreter::call_caller(const Stmt& s, size_t site_depth, size_t site_base, CallArgs& args) {
  // A caller kept past its call block (in a namespace, say) has no scope left to run in.
  if (site_depth > frames_.size() || site_base > site_depth) fail("caller() used outside its call block");
  if (macro_depth_ >= limits_.max_recursion_depth) {
    fail("macro recursion deeper than " + std::to_string(limits_.max_recursion_depth));
  }
  Frame frame = bind_arguments(s, "caller()", args);
  // The macro's frames are set aside while the block body runs in the block's own scope.
  std::vector<Frame> macro_frames(std::make_move_iterator(frames_.begin() + static_cast<std::ptrdiff_t>(site_depth)),
                                  std::make_move_iterator(frames_.end()));
  frames_.resize(site_depth);
  const size_t saved_base = scope_base_;
  frames_.push_back(std::move(frame));
  scope_base_ = site_base;
  ++macro_depth_;
  auto restore = [&] {
    --macro_depth_;
    frames_.resize(site_depth);
    for (Frame& f : macro_frames) frames_.push_back(std::move(f));
    scope_base_ = saved_base;
  };
  std::string result;
  try {
    bind_defaults(s);
    result = capture(s.bodies[0]);
  } catch (...) {
    restore();
    throw;
  }
  restore();
  signal_ = LoopSignal::none;
  return Value(std::move(result));
}

// ---- expressions ----

Value Interpreter::eval(const Expr& e) {
  // The parser bounds nesting, but macros can recurse into expressions; keep a hard cap.
  if (++eval_depth_ > 4 * limits_.max_recursion_depth + 512) {
    --eval_depth_;
    fail("expression evaluation too deep");
  }
  try {
    Value v = eval_node(e);
    --eval_depth_;
    return v;
  } catch (const TemplateError& err) {
    --eval_depth_;
    if (err.located()) throw;
    throw TemplateError(located(e.pos, err.what()), true);
  }
}

Value Interpreter::eval_node(const Expr& e) {
  switch (e.kind) {
    case ExprKind::literal: return e.value;
    case ExprKind::name: return lookup(e.name);
    case ExprKind::list: {
      Array items;
      items.reserve(e.children.size());
      for (const ExprPtr& c : e.children) items.push_back(eval(*c));
      return Value(std::move(items));
    }
    case ExprKind::dict: {
      Object o;
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        Value key = eval(*e.children[i]);
        if (!key.is_string()) fail("dict keys must be strings, got " + key.type_name());
        o.set(key.as_string(), eval(*e.children[i + 1]));
      }
      return Value(std::move(o));
    }
    case ExprKind::attr: return eval_attr(eval(*e.children[0]), e.name);
    case ExprKind::index: return eval_index(eval(*e.children[0]), eval(*e.children[1]));
    case ExprKind::slice: return eval_slice(e);
    case ExprKind::call: return eval_call(e);
    case ExprKind::filter: {
      const std::string& name = e.name;
      Value operand = eval(*e.children[0]);
      CallArgs args = eval_args(e, 1);
      Value result = apply_filter(*this, name, operand, args);
      check_size(result);
      return result;
    }
    case ExprKind::test: {
      Value operand = eval(*e.children[0]);
      CallArgs args = eval_args(e, 1);
      return Value(apply_test(*this, e.name, operand, args) != e.negated);
    }
    case ExprKind::unary: {
      Value v = eval(*e.children[0]);
      if (e.name == "not") return Value(!v.truthy());
      if (!v.is_number() && !v.is_bool()) fail("bad operand type for unary " + e.name + ": " + v.type_name());
      if (e.name == "+") return v.is_bool() ? Value(v.as_int()) : v;
      if (v.is_float()) return Value(-v.as_double());
      if (v.as_int() == INT64_MIN) fail("integer overflow");
      return Value(-v.as_int());
    }
    case ExprKind::binary: {
      Value result = eval_binary(e);
      check_size(result);
      return result;
    }
    case ExprKind::ternary:
      if (eval(*e.children[0]).truthy()) return eval(*e.children[1]);
      return e.children[2] ? eval(*e.children[2]) : Value();
  }
  return Value();
}

CallArgs Interpreter::eval_args(const Expr& e, size_t first_child) {
  CallArgs args;
  for (size_t i = first_child; i < e.children.size(); ++i) args.positional.push_back(eval(*e.children[i]));
  for (const auto& [key, expr] : e.keywords) args.keyword.emplace_back(key, eval(*expr));
  return args;
}

Value Interpreter::eval_call(const Expr& e) {
  Value callee = eval(*e.children[0]);
  if (!callee.is_callable()) {
    std::string what = e.children[0]->kind == ExprKind::name ? "'" + e.children[0]->name + "'"
                       : e.children[0]->kind == ExprKind::attr ? "'" + e.children[0]->name + "'"
                                                               : "value";
    fail(what + " is not callable (" + callee.type_name() + ")");
  }
  CallArgs args = eval_args(e, 1);
  Value result = callee.as_function()(*this, args);
  check_size(result);
  return result;
}

Value Interpreter::eval_attr(const Value& target, const std::string& name) {
  if (target.is_object()) {
    if (const Value* v = target.as_object().find(name)) return *v;
  }
  if (target.is_undefined()) return Value();
  return method_of(target, name);
}

Value Interpreter::eval_index(const Value& target, const Value& key) {
  if (target.is_object()) {
    if (!key.is_string()) return Value();
    const Value* v = target.as_object().find(key.as_string());
    return v ? *v : method_of(target, key.as_string());
  }
  if (target.is_array() || target.is_string()) {
    if (key.is_string()) return method_of(target, key.as_string());
    if (!key.is_int() && !key.is_bool()) fail("indices must be integers, not " + key.type_name());
    int64_t i = key.as_int();
    if (target.is_array()) {
      const Array& a = target.as_array();
      int64_t n = static_cast<int64_t>(a.size());
      if (i < 0) i += n;
      return (i < 0 || i >= n) ? Value() : a[static_cast<size_t>(i)];
    }
    std::vector<std::string> chars = utf8_chars(target.as_string());
    int64_t n = static_cast<int64_t>(chars.size());
    if (i < 0) i += n;
    return (i < 0 || i >= n) ? Value() : Value(chars[static_cast<size_t>(i)]);
  }
  return Value();  // as Jinja: subscripting a scalar gives undefined
}

Value Interpreter::eval_slice(const Expr& e) {
  Value target = eval(*e.children[0]);
  auto bound = [&](const ExprPtr& p) -> std::optional<int64_t> {
    if (!p) return std::nullopt;
    Value v = eval(*p);
    if (v.is_none()) return std::nullopt;
    if (!v.is_int()) fail("slice indices must be integers, not " + v.type_name());
    return v.as_int();
  };
  std::optional<int64_t> start = bound(e.children[1]), stop = bound(e.children[2]), step = bound(e.children[3]);
  int64_t st = step.value_or(1);
  if (st == 0) fail("slice step cannot be zero");

  auto pick = [&](int64_t n, auto&& emit) {
    // Python's slice.indices semantics.
    auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
      if (!v) return dflt;
      int64_t x = *v;
      if (x < 0) x += n;
      if (st > 0) return std::clamp<int64_t>(x, 0, n);
      return std::clamp<int64_t>(x, -1, n - 1);
    };
    int64_t from = clamp(start, st > 0 ? 0 : n - 1);
    int64_t to = clamp(stop, st > 0 ? n : -1);
    for (int64_t i = from; st > 0 ? i < to : i > to; i += st) emit(static_cast<size_t>(i));
  };

  if (target.is_array()) {
    const Array& a = target.as_array();
    Array out;
    pick(static_cast<int64_t>(a.size()), [&](size_t i) { out.push_back(a[i]); });
    return Value(std::move(out));
  }
  if (target.is_string()) {
    std::vector<std::string> chars = utf8_chars(target.as_string());
    std::string out;
    pick(static_cast<int64_t>(chars.size()), [&](size_t i) { out += chars[i]; });
    return Value(std::move(out));
  }
  if (target.is_undefined() || target.is_none()) return Value();
  fail("cannot slice " + target.type_name());
}

Value Interpreter::eval_binary(const Expr& e) {
  const std::string& op = e.name;
  if (op == "and") {
    Value left = eval(*e.children[0]);
    return left.truthy() ? eval(*e.children[1]) : left;
  }
  if (op == "or") {
    Value left = eval(*e.children[0]);
    return left.truthy() ? left : eval(*e.children[1]);
  }
  Value a = eval(*e.children[0]);
  Value b = eval(*e.children[1]);

  if (op == "~") return Value(a.text() + b.text());
  // none == undefined holds, as with the reference renderer's loose equality.
  const bool both_missing = (a.is_none() || a.is_undefined()) && (b.is_none() || b.is_undefined());
  if (op == "==") return Value(both_missing || values_equal(a, b));
  if (op == "!=") return Value(!both_missing && !values_equal(a, b));
  if (op == "<") return Value(value_less(a, b));
  if (op == ">") return Value(value_less(b, a));
  if (op == "<=") return Value(!value_less(b, a));
  if (op == ">=") return Value(!value_less(a, b));
  if (op == "in" || op == "not in") {
    bool found = false;
    if (b.is_array()) {
      for (const Value& item : b.as_array()) {
        if (values_equal(a, item)) {
          found = true;
          break;
        }
      }
    } else if (b.is_object()) {
      found = a.is_string() && b.as_object().find(a.as_string()) != nullptr;
    } else if (b.is_string()) {
      if (!a.is_string()) fail("'in <string>' requires a string on the left, got " + a.type_name());
      found = b.as_string().find(a.as_string()) != std::string::npos;
    } else if (!b.is_undefined() && !b.is_none()) {
      fail("argument of type " + b.type_name() + " is not iterable");
    }
    return Value(found != (op == "not in"));
  }

  if (op == "+") {
    // As the reference renderer: one string operand makes + a concatenation.
    if (a.is_string() || b.is_string()) return Value(a.text() + b.text());
    if (a.is_array() && b.is_array()) {
      Array out = a.as_array();
      out.insert(out.end(), b.as_array().begin(), b.as_array().end());
      return Value(std::move(out));
    }
  }
  if (op == "*") {
    const Value* text = a.is_string() ? &a : b.is_string() ? &b : nullptr;
    const Value* count = a.is_int() ? &a : b.is_int() ? &b : nullptr;
    if (text && count) {
      int64_t n = count->as_int();
      if (n > 0 && text->as_string().size() * static_cast<uint64_t>(n) > limits_.max_output_bytes) {
        fail("string repetition exceeds the output limit");
      }
      std::string out;
      for (int64_t i = 0; i < n; ++i) out += text->as_string();
      return Value(std::move(out));
    }
    const Value* list = a.is_array() ? &a : b.is_array() ? &b : nullptr;
    if (list && count) {
      int64_t n = count->as_int();
      if (n > 0 && list->as_array().size() * static_cast<uint64_t>(n) > limits_.max_loop_iterations) {
        fail("list repetition exceeds the loop iteration limit");
      }
      Array out;
      for (int64_t i = 0; i < n; ++i) out.insert(out.end(), list->as_array().begin(), list->as_array().end());
      return Value(std::move(out));
    }
  }
  bool numeric_a = a.is_number() || a.is_bool();
  bool numeric_b = b.is_number() || b.is_bool();
  if (!numeric_a || !numeric_b) {
    fail("unsupported operand types for " + op + ": " + a.type_name() + " and " + b.type_name());
  }
  bool integral = !a.is_float() && !b.is_float();
  if (op == "/") {
    if (b.as_double() == 0) fail("division by zero");
    return Value(a.as_double() / b.as_double());
  }
  if (op == "//" || op == "%") {
    if (b.as_double() == 0) fail(op == "//" ? "integer division by zero" : "modulo by zero");
    if (integral) {
      int64_t x = a.as_int(), y = b.as_int();
      if (x == INT64_MIN && y == -1) fail("integer overflow");
      int64_t q = floor_div(x, y);
      return op == "//" ? Value(q) : Value(x - q * y);
    }
    double x = a.as_double(), y = b.as_double();
    if (op == "//") return Value(std::floor(x / y));
    double r = std::fmod(x, y);  // exact; then Python's sign rule
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value(r);
  }
  if (op == "**") {
    if (integral && b.as_int() >= 0) {
      int64_t base = a.as_int(), exponent = b.as_int();
      if (base == 0 || base == 1) return Value(exponent == 0 ? int64_t{1} : base);
      if (base == -1) return Value(exponent % 2 == 0 ? int64_t{1} : int64_t{-1});
      int64_t result = 1;  // |base| >= 2 overflows within 64 steps
      for (int64_t i = 0; i < exponent; ++i) {
        if (__builtin_mul_overflow(result, base, &result)) fail("integer overflow in **");
      }
      return Value(result);
    }
    return Value(std::pow(a.as_double(), b.as_double()));
  }
  if (integral) {
    int64_t x = a.as_int(), y = b.as_int(), r = 0;
    bool overflow = op == "+" ? __builtin_add_overflow(x, y, &r)
                    : op == "-" ? __builtin_sub_overflow(x, y, &r)
                                : __builtin_mul_overflow(x, y, &r);
    if (overflow) fail("integer overflow in " + op);
    return Value(r);
  }
  double x = a.as_double(), y = b.as_double();
  return Value(op == "+" ? x + y : op == "-" ? x - y : x * y);
}

}  // namespace edgenode::engine::jinja
