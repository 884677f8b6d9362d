#include "engine/jinja/json_dump.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/jinja/error.h"
#include "engine/jinja/utf8.h"

namespace edgenode::engine::jinja {
namespace {

void append_utf16_escape(uint32_t unit, std::string& out) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04x", unit);
  out += buf;
}

void dump_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (ensure_ascii && u >= 0x7F) {
      size_t n = utf8_char_length(s, i);
      uint32_t cp = u;
      if (n > 1) {
        cp = u & (0xFF >> (n + 1));
        for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      }
      if (cp >= 0x10000) {
        append_utf16_escape(0xD800 + ((cp - 0x10000) >> 10), out);
        append_utf16_escape(0xDC00 + ((cp - 0x10000) & 0x3FF), out);
      } else {
        append_utf16_escape(cp, out);
      }
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void dump(const Value& v, const JsonFormat& f, int depth, std::string& out) {
  const int indent = f.indent > 0 ? f.indent : -1;  // indent 0 is one line, as the reference renderer
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
  };
  const std::string item_separator = !f.item_separator.empty() ? f.item_separator : indent < 0 ? ", " : ",";
  const std::string key_separator = !f.key_separator.empty() ? f.key_separator : ": ";
  switch (v.kind()) {
    case Value::Kind::undefined: out += f.undefined_as_null ? "null" : "undefined"; return;
    case Value::Kind::none: out += "null"; return;
    case Value::Kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::integer: out += std::to_string(v.as_int()); return;
    case Value::Kind::floating: {
      // JSON.stringify writes non-finite numbers as null.
      double d = v.as_double();
      out += std::isfinite(d) ? format_js_number(d) : "null";
      return;
    }
    case Value::Kind::string: dump_string(v.as_string(), f.ensure_ascii, out); return;
    case Value::Kind::array: {
      const Array& a = v.as_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += item_separator;
        if (indent >= 0) newline(depth + 1);
        dump(a[i], f, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::object: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : v.as_object().entries()) entries.push_back(&entry);
      if (f.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
      }
      if (entries.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto* entry : entries) {
        if (!first) out += item_separator;
        first = false;
        if (indent >= 0) newline(depth + 1);
        dump_string(entry->first, f.ensure_ascii, out);
        out += key_separator;
        dump(entry->second, f, depth + 1, out);
      }
      if (indent >= 0) newline(depth);
      out += '}';
      return;
    }
    case Value::Kind::callable: fail("tojson: a function is not JSON serializable");
  }
}

}  // namespace

std::string dump_json(const Value& v, const JsonFormat& format) {
  std::string out;
  dump(v, format, 0, out);
  return out;
}

}  // namespace edgenode::engine::jinja
