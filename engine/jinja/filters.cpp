// Filters: `x | name(args)`.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "engine/jinja/builtins.h"
#include "engine/jinja/error.h"
#include "engine/jinja/interpreter.h"
#include "engine/jinja/json_dump.h"
#include "engine/jinja/string_ops.h"
#include "engine/jinja/utf8.h"

namespace edgenode::engine::jinja {
namespace {

std::string text_of(const Value& v) { return v.is_none() ? "None" : v.str(); }

bool flag(const Value& v, bool fallback) { return v.is_undefined() ? fallback : v.truthy(); }

// Items a filter iterates: list items, dict keys, string characters.
Array items_of(const Value& v, const std::string& filter) {
  if (v.is_array()) return v.as_array();
  if (v.is_object()) {
    Array keys;
    for (const auto& entry : v.as_object().entries()) keys.emplace_back(entry.first);
    return keys;
  }
  if (v.is_string()) {
    Array chars;
    for (std::string& c : utf8_chars(v.as_string())) chars.emplace_back(std::move(c));
    return chars;
  }
  if (v.is_undefined() || v.is_none()) return {};
  fail("filter '" + filter + "' needs a sequence, got " + v.type_name());
}

// Attribute lookup for map/sort/selectattr: "a.b" walks nested dicts, "0" indexes lists.
Value attribute_of(const Value& item, const std::string& path) {
  Value current = item;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (current.is_object()) {
      const Value* v = current.as_object().find(part);
      current = v ? *v : Value();
    } else if (current.is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t i = static_cast<size_t>(std::atoll(part.c_str()));
      current = i < current.as_array().size() ? current.as_array()[i] : Value();
    } else {
      return Value();
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return current;
}

std::string attribute_name(const Value& v) {
  if (v.is_int()) return std::to_string(v.as_int());
  if (!v.is_string()) fail("attribute must be a string, got " + v.type_name());
  return v.as_string();
}

Value sort_key(const Value& item, const Value& attribute, bool case_sensitive) {
  Value key = attribute.is_undefined() || attribute.is_none() ? item : attribute_of(item, attribute_name(attribute));
  if (!case_sensitive && key.is_string()) return Value(to_lower(key.as_string()));
  return key;
}

Value to_int(const Value& v, const Value& fallback) {
  Value dflt = fallback.is_undefined() ? Value(int64_t{0}) : fallback;
  if (v.is_int() || v.is_bool()) return Value(v.as_int());
  if (v.is_float()) {
    double d = v.as_double();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return dflt;
    return Value(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    std::string s = strip_chars(v.as_string(), Value(), true, true);
    if (s.empty()) return dflt;
    char* end = nullptr;
    errno = 0;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return Value(static_cast<int64_t>(i));
    double d = std::strtod(s.c_str(), &end);
    if (*end == '\0' && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(static_cast<int64_t>(d));
  }
  return dflt;
}

Value to_float(const Value& v, const Value& fallback) {
  Value dflt = fallback.is_undefined() ? Value(0.0) : fallback;
  if (v.is_number() || v.is_bool()) return Value(v.as_double());
  if (v.is_string()) {
    std::string s = strip_chars(v.as_string(), Value(), true, true);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return Value(d);
  }
  return dflt;
}

// Arguments after the test name, for select/reject/selectattr/rejectattr.
CallArgs test_args(const CallArgs& args, size_t first) {
  CallArgs rest;
  for (size_t i = first; i < args.positional.size(); ++i) rest.positional.push_back(args.positional[i]);
  return rest;
}

Value select_items(Interpreter& in, const Value& operand, CallArgs& args, bool keep_matching, bool by_attribute,
                   const std::string& filter) {
  size_t next = 0;
  std::string attribute;
  if (by_attribute) {
    Value a = args.get(0, "attribute");
    if (a.is_undefined()) fail(filter + " needs an attribute name");
    attribute = attribute_name(a);
    next = 1;
  }
  Value test = args.positional.size() > next ? args.positional[next] : Value();
  if (!test.is_undefined() && !test.is_string()) fail(filter + ": test name must be a string");
  CallArgs rest = test_args(args, next + 1);
  Array out;
  for (const Value& item : items_of(operand, filter)) {
    in.count_iteration();
    Value subject = by_attribute ? attribute_of(item, attribute) : item;
    bool match = test.is_undefined() ? subject.truthy() : apply_test(in, test.as_string(), subject, rest);
    if (match == keep_matching) out.push_back(item);
  }
  return Value(std::move(out));
}

std::string indent_text(const std::string& s, const Value& width, bool first, bool blank) {
  std::string pad = width.is_string() ? width.as_string()
                    : std::string(static_cast<size_t>(std::clamp<int64_t>(width.is_undefined() ? 4 : width.as_int(), 0, 256)), ' ');
  std::vector<std::string> lines = split(s, Value("\n"), -1);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    bool indent_line = (i > 0 || first) && (blank || !lines[i].empty());
    if (indent_line) out += pad;
    out += lines[i];
  }
  return out;
}

Value round_value(const Value& v, const Value& precision_arg, const Value& method_arg) {
  if (!v.is_number() && !v.is_bool()) fail("round needs a number, got " + v.type_name());
  if (!v.is_float()) return Value(v.as_int());  // Python's round() keeps integers as they are
  int64_t precision = precision_arg.is_undefined() ? 0 : precision_arg.as_int();
  precision = std::clamp<int64_t>(precision, -15, 15);
  std::string method = method_arg.is_string() ? method_arg.as_string() : "common";
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_double() * scale;
  double r;
  if (method == "common") {
    r = std::round(x);
  } else if (method == "ceil") {
    r = std::ceil(x);
  } else if (method == "floor") {
    r = std::floor(x);
  } else {
    fail("round method must be 'common', 'ceil' or 'floor'");
  }
  return Value(r / scale);
}

Value sum_items(Interpreter& in, const Value& operand, CallArgs& args) {
  Value attribute = args.get(0, "attribute");
  Value total = args.get(1, "start");
  if (total.is_undefined()) total = Value(int64_t{0});
  for (const Value& item : items_of(operand, "sum")) {
    in.count_iteration();
    Value x = attribute.is_undefined() ? item : attribute_of(item, attribute_name(attribute));
    if (!x.is_number() && !x.is_bool()) fail("sum needs numbers, got " + x.type_name());
    total = (total.is_float() || x.is_float()) ? Value(total.as_double() + x.as_double()) : Value(total.as_int() + x.as_int());
  }
  return total;
}

// tojson(indent=None, ensure_ascii=False, sort_keys=False, separators=None).
JsonFormat json_format(const CallArgs& args) {
  JsonFormat format;
  Value indent = args.get(0, "indent");
  if (!indent.is_undefined() && !indent.is_none() && !indent.is_int()) fail("tojson indent must be an integer");
  if (indent.is_int()) format.indent = static_cast<int>(std::clamp<int64_t>(indent.as_int(), 0, 64));
  format.ensure_ascii = flag(args.get(99, "ensure_ascii"), false);
  format.sort_keys = flag(args.get(99, "sort_keys"), false);
  Value separators = args.get(99, "separators");
  if (!separators.is_undefined() && !separators.is_none()) {
    if (!separators.is_array() || separators.as_array().size() != 2 || !separators.as_array()[0].is_string() ||
        !separators.as_array()[1].is_string()) {
      fail("tojson separators must be a pair of strings");
    }
    format.item_separator = separators.as_array()[0].as_string();
    format.key_separator = separators.as_array()[1].as_string();
  }
  return format;
}

}  // namespace

Value apply_filter(Interpreter& in, const std::string& name, const Value& v, CallArgs& args) {
  if (name == "safe" || (name == "string" && v.is_string())) return v;
  if (name == "string") return Value(text_of(v));
  if (name == "trim" || name == "strip") return Value(strip_chars(text_of(v), args.get(0, "chars"), true, true));
  if (name == "lstrip") return Value(strip_chars(text_of(v), args.get(0, "chars"), true, false));
  if (name == "rstrip") return Value(strip_chars(text_of(v), args.get(0, "chars"), false, true));
  if (name == "upper") return Value(to_upper(text_of(v)));
  if (name == "lower") return Value(to_lower(text_of(v)));
  if (name == "title") return Value(title_case(text_of(v)));
  if (name == "capitalize") return Value(capitalize(text_of(v)));
  if (name == "e" || name == "escape") return Value(html_escape(text_of(v)));
  if (name == "length" || name == "count") {
    if (v.is_string()) return Value(utf8_length(v.as_string()));
    if (v.is_array()) return Value(v.as_array().size());
    if (v.is_object()) return Value(v.as_object().size());
    if (v.is_undefined()) return Value(int64_t{0});
    fail("object of type " + v.type_name() + " has no length");
  }
  if (name == "tojson") return Value(dump_json(v, json_format(args)));
  if (name == "default" || name == "d") {
    bool falsy_too = flag(args.get(1, "boolean"), false);
    if (v.is_undefined() || (falsy_too && !v.truthy())) {
      Value fallback = args.get(0, "default_value");
      return fallback.is_undefined() ? Value("") : fallback;
    }
    return v;
  }
  if (name == "join") {
    Value sep = args.get(0, "d");
    Value attribute = args.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const Value& item : items_of(v, name)) {
      if (!first) out += sep.is_undefined() ? "" : sep.str();
      first = false;
      out += attribute.is_undefined() ? item.text() : attribute_of(item, attribute_name(attribute)).text();
      in.check_size(Value(out.size() > in.limits().max_output_bytes ? out : std::string()));
    }
    return Value(std::move(out));
  }
  if (name == "replace") {
    Value from = args.get(0, "old"), to = args.get(1, "new"), count = args.get(2, "count");
    if (!from.is_string() || !to.is_string()) fail("replace needs two strings");
    std::string source = text_of(v);
    if (!from.as_string().empty() || source.size() * (to.as_string().size() + 1) <= in.limits().max_output_bytes) {
      return Value(replace_all(source, from.as_string(), to.as_string(), count.is_int() ? count.as_int() : -1));
    }
    fail("replace result exceeds the output limit");
  }
  if (name == "first" || name == "last") {
    Array items = items_of(v, name);
    if (items.empty()) return Value();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "items") {
    if (v.is_undefined() || v.is_none()) return Value(Array{});
    if (!v.is_object()) fail("items needs a mapping, got " + v.type_name());
    Array out;
    for (const auto& [key, value] : v.as_object().entries()) out.emplace_back(Array{Value(key), value});
    return Value(std::move(out));
  }
  if (name == "keys" || name == "values") {
    if (!v.is_object()) fail(name + " needs a mapping, got " + v.type_name());
    Array out;
    for (const auto& [key, value] : v.as_object().entries()) out.push_back(name == "keys" ? Value(key) : value);
    return Value(std::move(out));
  }
  if (name == "dictsort") {
    if (!v.is_object()) fail("dictsort needs a mapping, got " + v.type_name());
    bool case_sensitive = flag(args.get(0, "case_sensitive"), false);
    Value by = args.get(1, "by");
    bool by_value = by.is_string() && by.as_string() == "value";
    bool reverse = flag(args.get(2, "reverse"), false);
    Array out;
    for (const auto& [key, value] : v.as_object().entries()) out.emplace_back(Array{Value(key), value});
    std::stable_sort(out.begin(), out.end(), [&](const Value& a, const Value& b) {
      Value ka = sort_key(a.as_array()[by_value ? 1 : 0], Value(), case_sensitive);
      Value kb = sort_key(b.as_array()[by_value ? 1 : 0], Value(), case_sensitive);
      return reverse ? value_less(kb, ka) : value_less(ka, kb);
    });
    return Value(std::move(out));
  }
  if (name == "int") return to_int(v, args.get(0, "default"));
  if (name == "float") return to_float(v, args.get(0, "default"));
  if (name == "bool") return Value(v.truthy());
  if (name == "abs") {
    if (v.is_float()) return Value(std::fabs(v.as_double()));
    if (v.is_int() || v.is_bool()) {
      if (v.as_int() == INT64_MIN) fail("integer overflow");
      return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
    }
    fail("abs needs a number, got " + v.type_name());
  }
  if (name == "round") return round_value(v, args.get(0, "precision"), args.get(1, "method"));
  if (name == "list") return Value(items_of(v, name));
  if (name == "reverse") {
    if (v.is_string()) {
      std::vector<std::string> chars = utf8_chars(v.as_string());
      std::string out;
      for (size_t i = chars.size(); i-- > 0;) out += chars[i];
      return Value(std::move(out));
    }
    Array items = items_of(v, name);
    std::reverse(items.begin(), items.end());
    return Value(std::move(items));
  }
  if (name == "sort") {
    bool reverse = flag(args.get(0, "reverse"), false);
    bool case_sensitive = flag(args.get(1, "case_sensitive"), false);
    Value attribute = args.get(2, "attribute");
    Array items = items_of(v, name);
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
      Value ka = sort_key(a, attribute, case_sensitive), kb = sort_key(b, attribute, case_sensitive);
      return reverse ? value_less(kb, ka) : value_less(ka, kb);
    });
    return Value(std::move(items));
  }
  if (name == "unique") {
    bool case_sensitive = flag(args.get(0, "case_sensitive"), false);
    Value attribute = args.get(1, "attribute");
    Array out, seen;
    for (const Value& item : items_of(v, name)) {
      Value key = sort_key(item, attribute, case_sensitive);
      bool duplicate = false;
      for (const Value& s : seen) {
        in.count_iteration();
        if (values_equal(s, key)) {
          duplicate = true;
          break;
        }
      }
      if (!duplicate) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return Value(std::move(out));
  }
  if (name == "map") {
    Array out;
    Value attribute = args.get(99, "attribute");
    if (!attribute.is_undefined()) {
      Value fallback = args.get(99, "default");
      std::string path = attribute_name(attribute);
      for (const Value& item : items_of(v, name)) {
        Value x = attribute_of(item, path);
        out.push_back(x.is_undefined() ? fallback : x);
      }
      return Value(std::move(out));
    }
    if (args.positional.empty() || !args.positional[0].is_string()) fail("map needs a filter name or attribute=");
    std::string filter = args.positional[0].as_string();
    CallArgs rest = test_args(args, 1);
    for (const Value& item : items_of(v, name)) {
      in.count_iteration();
      out.push_back(apply_filter(in, filter, item, rest));
    }
    return Value(std::move(out));
  }
  if (name == "select" || name == "reject") return select_items(in, v, args, name == "select", false, name);
  if (name == "selectattr" || name == "rejectattr") {
    return select_items(in, v, args, name == "selectattr", true, name);
  }
  if (name == "batch") {
    Value size = args.get(0, "linecount");
    if (!size.is_int() || size.as_int() <= 0) fail("batch needs a positive size");
    Value fill = args.get(1, "fill_with");
    Array out, current;
    for (const Value& item : items_of(v, name)) {
      current.push_back(item);
      if (static_cast<int64_t>(current.size()) == size.as_int()) out.emplace_back(std::move(current)), current.clear();
    }
    if (!current.empty()) {
      while (!fill.is_undefined() && static_cast<int64_t>(current.size()) < size.as_int()) current.push_back(fill);
      out.emplace_back(std::move(current));
    }
    return Value(std::move(out));
  }
  if (name == "indent") {
    return Value(indent_text(text_of(v), args.get(0, "width"), flag(args.get(1, "first"), false),
                             flag(args.get(2, "blank"), false)));
  }
  if (name == "wordcount") {
    std::string s = text_of(v);
    int64_t words = 0;
    bool in_word = false;
    for (char c : s) {
      bool word_char = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
      if (word_char && !in_word) ++words;
      in_word = word_char;
    }
    return Value(words);
  }
  if (name == "startswith" || name == "endswith") {
    return Value(affix_matches(text_of(v), args.get(0, "prefix"), name == "startswith"));
  }
  if (name == "split") {
    Value sep = args.get(0, "sep");
    Value maxsplit = args.get(1, "maxsplit");
    Array out;
    for (std::string& part : split(text_of(v), sep, maxsplit.is_int() ? maxsplit.as_int() : -1)) out.emplace_back(std::move(part));
    return Value(std::move(out));
  }
  if (name == "format") return Value(percent_format(text_of(v), args.positional));
  if (name == "sum") return sum_items(in, v, args);
  if (name == "min" || name == "max") {
    Array items = items_of(v, name);
    if (items.empty()) return Value();
    bool case_sensitive = flag(args.get(0, "case_sensitive"), false);
    Value attribute = args.get(1, "attribute");
    size_t best = 0;
    for (size_t i = 1; i < items.size(); ++i) {
      Value a = sort_key(items[i], attribute, case_sensitive), b = sort_key(items[best], attribute, case_sensitive);
      if (name == "min" ? value_less(a, b) : value_less(b, a)) best = i;
    }
    return items[best];
  }
  if (name == "attr") {
    Value key = args.get(0, "name");
    return v.is_object() && key.is_string() ? attribute_of(v, key.as_string()) : Value();
  }
  fail("unknown filter '" + name + "'");
}

}  // namespace edgenode::engine::jinja
