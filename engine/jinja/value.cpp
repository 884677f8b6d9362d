#include "engine/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "engine/jinja/error.h"

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
    case nlohmann::json::value_t::number_float: return Value(j.template get<double>());
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

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then laid out as Python's repr does: positional for
  // exponents in [-4, 16), scientific otherwise.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  int exponent = std::stoi(sci.substr(e_pos + 1));
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<size_t>(exponent + 1) >= digits.size()) {
      out = digits + std::string(static_cast<size_t>(exponent + 1) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exponent + 1)) + "." + digits.substr(static_cast<size_t>(exponent + 1));
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp_buf;
  }
  return negative ? "-" + out : out;
}

namespace {

void append_repr(const Value& v, std::string& out);

void append_quoted(const std::string& s, std::string& out) {
  char quote = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
  out += quote;
  for (char c : s) {
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  out += quote;
}

void append_repr(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::string: append_quoted(v.as_string(), out); return;
    case Value::Kind::none: out += "None"; return;
    case Value::Kind::array: {
      out += '[';
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out += ", ";
        first = false;
        append_repr(item, out);
      }
      out += ']';
      return;
    }
    case Value::Kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.as_object().entries()) {
        if (!first) out += ", ";
        first = false;
        append_quoted(key, out);
        out += ": ";
        append_repr(item, out);
      }
      out += '}';
      return;
    }
    default: out += v.str(); return;
  }
}

}  // namespace

std::string Value::str() const {
  switch (kind_) {
    case Kind::undefined:
    case Kind::none: return "";
    case Kind::boolean: return int_ ? "True" : "False";
    case Kind::integer: return std::to_string(int_);
    case Kind::floating: return format_float(float_);
    case Kind::string: return *string_;
    case Kind::array:
    case Kind::object: {
      std::string out;
      append_repr(*this, out);
      return out;
    }
    case Kind::callable: return "<function " + function_->name + ">";
  }
  return "";
}

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
