// Evaluation of a compiled `when` expression. Field reads point into the message's JSON
// instead of copying it; only computed values are owned.
#include "pipeline/expression.h"

#include <cmath>
#include <cstdint>

#include "pipeline/expression_program.h"

namespace edgenode::pipeline {

using nlohmann::json;

namespace {

const json kNull = nullptr;

// A value that either refers into the scope or owns a computed result.
struct Value {
  const json* ref = nullptr;
  json own;
  const json& get() const { return ref != nullptr ? *ref : own; }
};

Value owned(json v) {
  Value out;
  out.own = std::move(v);
  return out;
}
Value referenced(const json* v) {
  Value out;
  out.ref = v != nullptr ? v : &kNull;
  return out;
}

// An integer that int64 arithmetic holds exactly. JSON unsigned values above INT64_MAX
// would wrap to negatives, so they take the floating-point path instead.
bool fits_int64(const json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
}

const char* type_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::string: return "string";
    case json::value_t::array: return "list";
    case json::value_t::object: return "object";
    default: return "number";
  }
}

class Evaluator {
 public:
  Evaluator(const ExprProgram& program, const ExprScope& scope) : program_(program), scope_(scope) {}

  Result<Value> eval(int index) {
    const ExprNode& n = program_.nodes[static_cast<size_t>(index)];
    switch (n.op) {
      case ExprOp::literal: return referenced(&n.value);
      case ExprOp::name: return name(n);
      case ExprOp::member: {
        auto base = eval(n.children[0]);
        if (!base) return base;
        const json& b = base->get();
        if (!b.is_object()) return referenced(nullptr);
        auto it = b.find(n.text);
        if (it == b.end()) return referenced(nullptr);
        if (base->ref != nullptr) return referenced(&*it);
        return owned(*it);
      }
      case ExprOp::index: return index_of(n);
      case ExprOp::negate: {
        auto v = eval(n.children[0]);
        if (!v) return v;
        if (!v->get().is_number()) return fail(n, std::string("cannot negate a ") + type_of(v->get()));
        const json& x = v->get();
        // -INT64_MIN does not fit in int64: negate it in floating point, as abs() does.
        if (!fits_int64(x) || x.get<int64_t>() == INT64_MIN) return owned(-x.get<double>());
        return owned(-x.get<int64_t>());
      }
      case ExprOp::logical_not: {
        auto v = boolean(n.children[0], "not");
        if (!v) return v.error();
        return owned(!*v);
      }
      case ExprOp::logical_and:
      case ExprOp::logical_or: {
        const bool is_and = n.op == ExprOp::logical_and;
        auto lhs = boolean(n.children[0], is_and ? "and" : "or");
        if (!lhs) return lhs.error();
        if (*lhs != is_and) return owned(*lhs);  // short-circuit
        auto rhs = boolean(n.children[1], is_and ? "and" : "or");
        if (!rhs) return rhs.error();
        return owned(*rhs);
      }
      case ExprOp::call: return call(n);
      default: return binary(n);
    }
  }

  Error fail(const ExprNode& n, const std::string& message) const {
    return bad_input(message + " at column " + std::to_string(n.offset + 1) + " of '" + program_.source + "'");
  }

 private:
  Result<Value> name(const ExprNode& n) {
    switch (n.name) {
      case ExprName::payload: return referenced(scope_.payload);
      case ExprName::topic: return scope_.topic != nullptr ? owned(*scope_.topic) : referenced(nullptr);
      case ExprName::topic_levels: return referenced(scope_.topic_levels);
      case ExprName::window: return referenced(scope_.window);
      case ExprName::result: return referenced(scope_.result);
      case ExprName::node: return referenced(scope_.node);
    }
    return referenced(nullptr);
  }

  Result<Value> index_of(const ExprNode& n) {
    auto base = eval(n.children[0]);
    if (!base) return base;
    auto key = eval(n.children[1]);
    if (!key) return key;
    const json& b = base->get();
    const json& k = key->get();
    const json* found = nullptr;
    if (b.is_object() && k.is_string()) {
      auto it = b.find(k.get<std::string>());
      if (it != b.end()) found = &*it;
    } else if (b.is_array() && k.is_number_integer()) {
      const int64_t i = k.get<int64_t>();
      if (i >= 0 && static_cast<size_t>(i) < b.size()) found = &b[static_cast<size_t>(i)];
    } else if (!b.is_null() && !k.is_null()) {
      return fail(n, std::string("cannot index a ") + type_of(b) + " with a " + type_of(k));
    }
    if (found == nullptr) return referenced(nullptr);
    if (base->ref != nullptr) return referenced(found);
    return owned(*found);
  }

  Result<bool> boolean(int index, const char* op) {
    auto v = eval(index);
    if (!v) return v.error();
    if (!v->get().is_boolean()) {
      return fail(program_.nodes[static_cast<size_t>(index)],
                  std::string("'") + op + "' needs true or false, got " + type_of(v->get()));
    }
    return v->get().get<bool>();
  }

  Result<Value> binary(const ExprNode& n) {
    auto lhs_v = eval(n.children[0]);
    if (!lhs_v) return lhs_v;
    auto rhs_v = eval(n.children[1]);
    if (!rhs_v) return rhs_v;
    const json& a = lhs_v->get();
    const json& b = rhs_v->get();
    switch (n.op) {
      case ExprOp::equal: return owned(a == b);
      case ExprOp::not_equal: return owned(a != b);
      case ExprOp::less:
      case ExprOp::less_equal:
      case ExprOp::greater:
      case ExprOp::greater_equal: {
        int order = 0;
        if (a.is_number() && b.is_number()) {
          const double x = a.get<double>(), y = b.get<double>();
          order = x < y ? -1 : (x > y ? 1 : 0);
        } else if (a.is_string() && b.is_string()) {
          const int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
          order = c < 0 ? -1 : (c > 0 ? 1 : 0);
        } else {
          return fail(n, std::string("cannot compare ") + type_of(a) + " with " + type_of(b));
        }
        if (n.op == ExprOp::less) return owned(order < 0);
        if (n.op == ExprOp::less_equal) return owned(order <= 0);
        if (n.op == ExprOp::greater) return owned(order > 0);
        return owned(order >= 0);
      }
      default: break;
    }
    if (n.op == ExprOp::add && a.is_string() && b.is_string()) {
      return owned(a.get<std::string>() + b.get<std::string>());
    }
    if (!a.is_number() || !b.is_number()) {
      return fail(n, std::string("arithmetic needs numbers, got ") + type_of(a) + " and " + type_of(b));
    }
    const bool integers = fits_int64(a) && fits_int64(b);
    if (integers && n.op != ExprOp::divide) {
      const int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
      int64_t r = 0;
      switch (n.op) {
        case ExprOp::add:
          if (__builtin_add_overflow(x, y, &r)) break;
          return owned(r);
        case ExprOp::subtract:
          if (__builtin_sub_overflow(x, y, &r)) break;
          return owned(r);
        case ExprOp::multiply:
          if (__builtin_mul_overflow(x, y, &r)) break;
          return owned(r);
        default:  // modulo
          if (y == 0) return fail(n, "modulo by zero");
          if (x == INT64_MIN && y == -1) return owned(int64_t{0});
          return owned(x % y);
      }
      // Overflowed: fall through to floating point.
    }
    const double x = a.get<double>(), y = b.get<double>();
    switch (n.op) {
      case ExprOp::add: return owned(x + y);
      case ExprOp::subtract: return owned(x - y);
      case ExprOp::multiply: return owned(x * y);
      case ExprOp::divide:
        if (y == 0) return fail(n, "division by zero");
        return owned(x / y);
      default:
        if (y == 0) return fail(n, "modulo by zero");
        return owned(std::fmod(x, y));
    }
  }

  Result<Value> call(const ExprNode& n) {
    if (n.text == "exists") {
      auto v = eval(n.children[0]);
      if (!v) return v;
      return owned(!v->get().is_null());
    }
    if (n.text == "len") {
      auto v = eval(n.children[0]);
      if (!v) return v;
      const json& x = v->get();
      if (x.is_string()) return owned(static_cast<int64_t>(x.get_ref<const std::string&>().size()));
      if (x.is_array() || x.is_object()) return owned(static_cast<int64_t>(x.size()));
      return fail(n, std::string("len() needs a string, list or object, got ") + type_of(x));
    }
    if (n.text == "abs") {
      auto v = eval(n.children[0]);
      if (!v) return v;
      const json& x = v->get();
      if (!x.is_number()) return fail(n, std::string("abs() needs a number, got ") + type_of(x));
      if (!fits_int64(x)) return owned(std::fabs(x.get<double>()));
      const int64_t i = x.get<int64_t>();
      return i == INT64_MIN ? owned(std::fabs(static_cast<double>(i))) : owned(i < 0 ? -i : i);
    }
    // min / max
    const bool is_min = n.text == "min";
    json best;
    for (int child : n.children) {
      auto v = eval(child);
      if (!v) return v;
      const json& x = v->get();
      if (!x.is_number()) return fail(n, n.text + "() needs numbers, got " + type_of(x));
      if (best.is_null() || (is_min ? x.get<double>() < best.get<double>() : x.get<double>() > best.get<double>())) {
        best = x;
      }
    }
    return owned(std::move(best));
  }

  const ExprProgram& program_;
  const ExprScope& scope_;
};

}  // namespace

Expression::Expression(std::unique_ptr<ExprProgram> program) : program_(std::move(program)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

Result<Expression> Expression::compile(std::string_view source, int* error_offset) {
  int offset = 0;
  if (source.size() > kMaxSourceBytes) {
    if (error_offset != nullptr) *error_offset = 0;
    return bad_input("expression longer than " + std::to_string(kMaxSourceBytes) + " bytes");
  }
  auto program = parse_expression(source, kMaxNesting, offset);
  if (!program) {
    if (error_offset != nullptr) *error_offset = offset;
    return program.error();
  }
  return Expression(std::make_unique<ExprProgram>(std::move(program).value()));
}

Result<json> Expression::evaluate(const ExprScope& scope) const {
  Evaluator evaluator(*program_, scope);
  auto v = evaluator.eval(program_->root);
  if (!v) return v.error();
  return json(v->get());
}

Result<bool> Expression::test(const ExprScope& scope) const {
  Evaluator evaluator(*program_, scope);
  auto v = evaluator.eval(program_->root);
  if (!v) return v.error();
  if (!v->get().is_boolean()) {
    return bad_input("expression '" + program_->source + "' gave a " + type_of(v->get()) + ", not true or false");
  }
  return v->get().get<bool>();
}

const std::string& Expression::source() const { return program_->source; }

}  // namespace edgenode::pipeline
