#include "engine/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "engine/jinja/error.h"
#include "engine/jinja/json_dump.h"

namespace edgenode::engine::jinja {

const Value* Object::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

Value* Object::find(std::string_view key) {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void Object::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

Value::Value(Array a) : kind_(Kind::array), array_(std::make_shared<Array>(std::move(a))) {
  for (const Value& item : *array_) nesting_ = std::max(nesting_, item.nesting_);
  ++nesting_;
  if (nesting_ > kMaxValueNesting) fail("value nested deeper than " + std::to_string(kMaxValueNesting));
}

Value::Value(Object o) : kind_(Kind::object), object_(std::make_shared<Object>(std::move(o))) {
  for (const auto& entry : object_->entries()) nesting_ = std::max(nesting_, entry.second.nesting_);
  ++nesting_;
  if (nesting_ > kMaxValueNesting) fail("value nested deeper than " + std::to_string(kMaxValueNesting));
}

Value Value::function(std::string name, Function f) {
  Value v;
  v.kind_ = Kind::callable;
  v.function_ = std::make_shared<Callable>(Callable{std::move(name), std::move(f)});
  return v;
}

namespace {

template <class Json>
Value convert(const Json& j, int depth = 0) {
  if (depth > kMaxValueNesting) fail("context nested deeper than " + std::to_string(kMaxValueNesting));
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: {
      // JSON numbers are JavaScript numbers to the reference renderer: 2.0 is the integer 2.
      double d = j.template get<double>();
      if (d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) return Value(static_cast<int64_t>(d));
      return Value(d);
    }
    case nlohmann::json::value_t::string: return Value(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      Array a;
      a.reserve(j.size());
      for (const auto& item : j) a.push_back(convert(item, depth + 1));
      return Value(std::move(a));
    }
    case nlohmann::json::value_t::object: {
      Object o;
      for (auto it = j.begin(); it != j.end(); ++it) o.set(it.key(), convert(it.value(), depth + 1));
      return Value(std::move(o));
    }
    default: return Value();  // binary and discarded values have no template meaning
  }
}

}  // namespace

Value Value::from_json(const nlohmann::json& j) { return convert(j); }
Value Value::from_json(const nlohmann::ordered_json& j) { return convert(j); }

bool Value::truthy() const {
  switch (kind_) {
    case Kind::undefined:
    case Kind::none: return false;
    case Kind::boolean:
    case Kind::integer: return int_ != 0;
    case Kind::floating: return float_ != 0.0;
    case Kind::string: return !string_->empty();
    case Kind::array: return !array_->empty();
    case Kind::object: return object_->size() != 0;
    case Kind::callable: return true;
  }
  return false;
}

std::string format_js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  int n = std::stoi(sci.substr(e_pos + 1)) + 1;  // value = 0.digits * 10^n
  bool negative = mantissa[0] == '-';
  std::string digits;
  for (char c : mantissa) {
    if (c != '.' && c != '-') digits += c;
  }
  const int k = static_cast<int>(digits.size());
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 < 0 ? "e-" : "e+") + std::to_string(std::abs(n - 1));
  }
  return negative ? "-" + out : out;
}

std::string Value::str() const {
  switch (kind_) {
    case Kind::undefined:
    case Kind::none: return "";
    case Kind::boolean: return int_ ? "true" : "false";
    case Kind::integer: return std::to_string(int_);
    case Kind::floating:
      // As the reference renderer's FloatValue: integral values keep one decimal.
      if (std::isfinite(float_) && float_ == std::floor(float_) && std::fabs(float_) < 1e21) {
        return (std::signbit(float_) && float_ == 0 ? "-" : "") + format_js_number(float_) + ".0";
      }
      return format_js_number(float_);
    case Kind::string: return *string_;
    case Kind::array:
    case Kind::object: {
      JsonFormat format;
      format.undefined_as_null = false;
      return dump_json(*this, format);
    }
    case Kind::callable: return "<function " + function_->name + ">";
  }
  return "";
}

std::string Value::text() const { return kind_ == Kind::floating ? format_js_number(float_) : str(); }

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::undefined: return "undefined";
    case Kind::none: return "none";
    case Kind::boolean: return "boolean";
    case Kind::integer: return "integer";
    case Kind::floating: return "float";
    case Kind::string: return "string";
    case Kind::array: return "list";
    case Kind::object: return "mapping";
    case Kind::callable: return "function";
  }
  return "?";
}

Value CallArgs::get(size_t position, std::string_view name) const {
  if (position < positional.size()) return positional[position];
  for (const auto& [key, value] : keyword) {
    if (key == name) return value;
  }
  return Value();
}

bool values_equal(const Value& a, const Value& b) {
  // Python: True == 1 and 1 == 1.0.
  if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool()) && (a.is_number() || b.is_number())) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.is_bool() && b.is_bool()) return a.as_bool() == b.as_bool();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none: return true;
    case Value::Kind::string: return a.as_string() == b.as_string();
    case Value::Kind::array: {
      const Array& x = a.as_array();
      const Array& y = b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!values_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Value::Kind::object: {
      const Object& x = a.as_object();
      const Object& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (const auto& [key, item] : x.entries()) {
        const Value* other = y.find(key);
        if (!other || !values_equal(item, *other)) return false;
      }
      return true;
    }
    case Value::Kind::callable: return &a.as_function() == &b.as_function();
    default: return false;
  }
}

bool value_less(const Value& a, const Value& b) {
  if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool())) {
    if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_array() && b.is_array()) {
    const Array& x = a.as_array();
    const Array& y = b.as_array();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (value_less(x[i], y[i])) return true;
      if (value_less(y[i], x[i])) return false;
    }
    return x.size() < y.size();
  }
  fail("cannot compare " + a.type_name() + " with " + b.type_name());
}

}  // namespace edgenode::engine::jinja
