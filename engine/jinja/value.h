// The runtime value of the Jinja engine. Context JSON converts into it; on top of JSON it
// has `undefined` (a missing name or attribute), callables (macros and built-ins) and
// namespaces. Arrays and objects are shared by reference, as in Python, so a namespace
// assigned in a loop is seen after it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgenode::engine::jinja {

class Value;
struct CallArgs;
class Interpreter;

using Array = std::vector<Value>;

class Object;

// A built-in function or a macro: receives evaluated arguments.
using Function = std::function<Value(Interpreter&, CallArgs&)>;

class Value {
 public:
  enum class Kind { undefined, none, boolean, integer, floating, string, array, object, callable };

  Value() = default;  // undefined
  static Value none() { Value v; v.kind_ = Kind::none; return v; }
  Value(bool b) : kind_(Kind::boolean), int_(b) {}
  Value(int64_t i) : kind_(Kind::integer), int_(i) {}
  Value(int i) : kind_(Kind::integer), int_(i) {}
  Value(size_t i) : kind_(Kind::integer), int_(static_cast<int64_t>(i)) {}
  Value(double d) : kind_(Kind::floating), float_(d) {}
  Value(std::string s) : kind_(Kind::string), string_(std::make_shared<std::string>(std::move(s))) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(Array a);
  Value(Object o);
  static Value function(std::string name, Function f);

  static Value from_json(const nlohmann::json& j);
  static Value from_json(const nlohmann::ordered_json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::undefined; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer; }
  bool is_float() const { return kind_ == Kind::floating; }
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::floating; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_object() const { return kind_ == Kind::object; }
  bool is_callable() const { return kind_ == Kind::callable; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }
  double as_double() const { return kind_ == Kind::floating ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return *string_; }
  Array& as_array() const { return *array_; }
  Object& as_object() const { return *object_; }
  const Function& as_function() const { return function_->call; }

  // Python truthiness: empty string/list/dict, 0, none and undefined are false.
  bool truthy() const;
  // The value as the reference renderer (@huggingface/jinja) prints it: none and undefined
  // print nothing, booleans true/false, integral floats with ".0", lists and dicts as JSON.
  std::string str() const;
  // The value as JavaScript's String() gives it, which `~`, `+` and join use: as str(),
  // except that floats print as JavaScript numbers (2.0 prints "2").
  std::string text() const;
  // Python-like type name for error messages.
  std::string type_name() const;

 private:
  struct Callable {
    std::string name;
    Function call;
  };

  Kind kind_ = Kind::undefined;
  int nesting_ = 0;  // how deeply lists and dicts nest inside, as of construction
  int64_t int_ = 0;
  double float_ = 0;
  std::shared_ptr<std::string> string_;
  std::shared_ptr<Array> array_;
  std::shared_ptr<Object> object_;
  std::shared_ptr<Callable> function_;
};

// Insertion-ordered map (Python dicts keep insertion order, and tojson must too).
class Object {
 public:
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string key, Value value);
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

  bool is_namespace = false;  // only namespaces accept `{% set ns.attr = ... %}`

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// Arguments of a call, filter or test after evaluation.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // The argument at `position` or named `name`, or undefined when neither was given.
  Value get(size_t position, std::string_view name) const;
};

// Values nested deeper than this are refused, so that printing, comparing or freeing them
// cannot exhaust the stack.
constexpr int kMaxValueNesting = 512;

// Python equality (1 == 1.0, lists and dicts element-wise).
bool values_equal(const Value& a, const Value& b);
// Python ordering for numbers and strings; throws RenderError on other kinds.
bool value_less(const Value& a, const Value& b);
// JavaScript's Number#toString: shortest round trip, positional from 1e-6 up to 1e21,
// exponent form outside (1e-7, 1e+21).
std::string format_js_number(double d);

}  // namespace edgenode::engine::jinja
