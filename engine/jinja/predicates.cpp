// Tests: `x is name(args)`.
#include <cmath>

#include "engine/jinja/builtins.h"
#include "engine/jinja/error.h"
#include "engine/jinja/interpreter.h"
#include "engine/jinja/string_ops.h"

namespace edgenode::engine::jinja {
namespace {

int64_t integer_operand(const Value& v, const std::string& test) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  if (v.is_float() && v.as_double() == std::floor(v.as_double())) return static_cast<int64_t>(v.as_double());
  fail("test '" + test + "' needs a number, got " + v.type_name());
}

}  // namespace

bool apply_test(Interpreter& in, const std::string& name, const Value& v, CallArgs& args) {
  const Value arg = args.get(0, "value");
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "mapping") return v.is_object();
  if (name == "iterable") return v.is_array() || v.is_string();  // not dicts, as the reference renderer
  if (name == "sequence") return v.is_array() || v.is_object() || v.is_string();
  if (name == "callable") return v.is_callable();
  if (name == "lower") return v.is_string() && to_lower(v.as_string()) == v.as_string();
  if (name == "upper") return v.is_string() && to_upper(v.as_string()) == v.as_string();
  if (name == "even" || name == "odd" || name == "divisibleby") {
    // A float with a fraction is neither even, odd nor divisible (Python's % on floats).
    if (v.is_float() && v.as_double() != std::floor(v.as_double())) return false;
    int64_t x = integer_operand(v, name);
    if (name == "even") return x % 2 == 0;
    if (name == "odd") return x % 2 != 0;
    int64_t d = integer_operand(arg.is_undefined() ? args.get(0, "num") : arg, name);
    if (d == 0) fail("divisibleby 0");
    return x % d == 0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return values_equal(v, arg);
  if (name == "ne" || name == "!=") return !values_equal(v, arg);
  if (name == "lt" || name == "lessthan" || name == "<") return value_less(v, arg);
  if (name == "gt" || name == "greaterthan" || name == ">") return value_less(arg, v);
  if (name == "le" || name == "<=") return !value_less(arg, v);
  if (name == "ge" || name == ">=") return !value_less(v, arg);
  if (name == "sameas") return values_equal(v, arg) && v.kind() == arg.kind();
  if (name == "in") {
    if (arg.is_array()) {
      for (const Value& item : arg.as_array()) {
        if (values_equal(v, item)) return true;
      }
      return false;
    }
    if (arg.is_object()) return v.is_string() && arg.as_object().find(v.as_string()) != nullptr;
    if (arg.is_string()) return v.is_string() && arg.as_string().find(v.as_string()) != std::string::npos;
    return false;
  }
  (void)in;
  fail("unknown test '" + name + "'");
}

}  // namespace edgenode::engine::jinja
