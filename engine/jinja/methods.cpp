// Methods called on values: "text".strip(), d.items(), d.get(k, default), ...
#include "engine/jinja/builtins.h"
#include "engine/jinja/error.h"
#include "engine/jinja/json_dump.h"
#include "engine/jinja/string_ops.h"
#include "engine/jinja/utf8.h"

namespace edgenode::engine::jinja {
namespace {

Value string_list(const std::vector<std::string>& parts) {
  Array out;
  out.reserve(parts.size());
  for (const std::string& p : parts) out.emplace_back(p);
  return Value(std::move(out));
}

int64_t int_arg(const Value& v, int64_t fallback, const char* what) {
  if (v.is_undefined() || v.is_none()) return fallback;
  if (!v.is_int()) fail(std::string(what) + " must be an integer, not " + v.type_name());
  return v.as_int();
}

Value string_method(const Value& self, const std::string& name) {
  const std::string& s = self.as_string();
  auto bind = [&](auto body) {
    return Value::function(name, [self, body](Interpreter&, CallArgs& args) -> Value {
      return body(self.as_string(), args);
    });
  };
  (void)s;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool left = name != "rstrip", right = name != "lstrip";
    return bind([left, right](const std::string& t, CallArgs& a) {
      return Value(strip_chars(t, a.get(0, "chars"), left, right));
    });
  }
  if (name == "upper") return bind([](const std::string& t, CallArgs&) { return Value(to_upper(t)); });
  if (name == "lower") return bind([](const std::string& t, CallArgs&) { return Value(to_lower(t)); });
  if (name == "title") return bind([](const std::string& t, CallArgs&) { return Value(title_case(t)); });
  if (name == "capitalize") return bind([](const std::string& t, CallArgs&) { return Value(capitalize(t)); });
  if (name == "startswith" || name == "endswith") {
    bool start = name == "startswith";
    return bind([start](const std::string& t, CallArgs& a) {
      return Value(affix_matches(t, a.get(0, "prefix"), start));
    });
  }
  if (name == "split" || name == "rsplit") {
    return bind([](const std::string& t, CallArgs& a) {
      return string_list(split(t, a.get(0, "sep"), int_arg(a.get(1, "maxsplit"), -1, "maxsplit")));
    });
  }
  if (name == "splitlines") {
    return bind([](const std::string& t, CallArgs&) {
      std::vector<std::string> lines = split(t, Value("\n"), -1);
      if (!lines.empty() && lines.back().empty()) lines.pop_back();
      for (std::string& line : lines) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
      }
      return string_list(lines);
    });
  }
  if (name == "replace") {
    return bind([](const std::string& t, CallArgs& a) {
      Value from = a.get(0, "old"), to = a.get(1, "new");
      if (!from.is_string() || !to.is_string()) fail("replace() arguments must be strings");
      return Value(replace_all(t, from.as_string(), to.as_string(), int_arg(a.get(2, "count"), -1, "count")));
    });
  }
  if (name == "find" || name == "count") {
    bool find = name == "find";
    return bind([find](const std::string& t, CallArgs& a) {
      Value needle = a.get(0, "sub");
      if (!needle.is_string()) fail("argument must be a string, not " + needle.type_name());
      if (find) {
        size_t hit = t.find(needle.as_string());
        return hit == std::string::npos ? Value(int64_t{-1}) : Value(utf8_length(std::string_view(t).substr(0, hit)));
      }
      if (needle.as_string().empty()) return Value(utf8_length(t) + 1);
      int64_t n = 0;
      for (size_t pos = t.find(needle.as_string()); pos != std::string::npos;
           pos = t.find(needle.as_string(), pos + needle.as_string().size())) {
        ++n;
      }
      return Value(n);
    });
  }
  if (name == "join") {
    return bind([](const std::string& t, CallArgs& a) {
      Value items = a.get(0, "iterable");
      if (!items.is_array()) fail("join() needs a list, got " + items.type_name());
      std::string out;
      bool first = true;
      for (const Value& item : items.as_array()) {
        if (!first) out += t;
        first = false;
        out += item.text();
      }
      return Value(std::move(out));
    });
  }
  if (name == "format") {
    return bind([](const std::string& t, CallArgs& a) {
      // str.format with positional {} / {0} fields only.
      std::string out;
      size_t next = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '{' && i + 1 < t.size() && t[i + 1] == '{') {
          out += '{';
          ++i;
        } else if (t[i] == '}' && i + 1 < t.size() && t[i + 1] == '}') {
          out += '}';
          ++i;
        } else if (t[i] == '{') {
          size_t close = t.find('}', i);
          if (close == std::string::npos) fail("format(): unmatched '{'");
          std::string field = t.substr(i + 1, close - i - 1);
          size_t index = field.empty() ? next++ : static_cast<size_t>(std::atoi(field.c_str()));
          if (index >= a.positional.size()) fail("format(): not enough arguments");
          out += a.positional[index].str();
          i = close;
        } else {
          out += t[i];
        }
      }
      return Value(std::move(out));
    });
  }
  return Value();
}

Value object_method(const Value& self, const std::string& name) {
  auto bind = [&](auto body) {
    return Value::function(name, [self, body](Interpreter&, CallArgs& args) -> Value {
      return body(self.as_object(), args);
    });
  };
  if (name == "items") {
    return bind([](const Object& o, CallArgs&) {
      Array out;
      for (const auto& [key, value] : o.entries()) out.emplace_back(Array{Value(key), value});
      return Value(std::move(out));
    });
  }
  if (name == "keys") {
    return bind([](const Object& o, CallArgs&) {
      Array out;
      for (const auto& entry : o.entries()) out.emplace_back(entry.first);
      return Value(std::move(out));
    });
  }
  if (name == "values") {
    return bind([](const Object& o, CallArgs&) {
      Array out;
      for (const auto& entry : o.entries()) out.push_back(entry.second);
      return Value(std::move(out));
    });
  }
  if (name == "get") {
    return bind([](const Object& o, CallArgs& a) {
      Value key = a.get(0, "key");
      const Value* found = key.is_string() ? o.find(key.as_string()) : nullptr;
      if (found) return *found;
      Value fallback = a.get(1, "default");
      return fallback.is_undefined() ? Value::none() : fallback;
    });
  }
  return Value();
}

}  // namespace

Value method_of(const Value& target, const std::string& name) {
  if (target.is_string()) return string_method(target, name);
  if (target.is_object()) return object_method(target, name);
  return Value();
}

}  // namespace edgenode::engine::jinja
