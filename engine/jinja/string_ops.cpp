#include "engine/jinja/string_ops.h"

#include <clocale>
#include <cctype>
#include <cstdio>
#include <cwctype>
#include <locale.h>
#include <wctype.h>

#include "engine/jinja/error.h"
#include "engine/jinja/utf8.h"

namespace edgenode::engine::jinja {
namespace {

bool is_py_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool all_whitespace(const std::string& chars) {
  for (size_t i = 0; i < chars.size();) {
    size_t n = js_whitespace_at(chars, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::string strip_chars(std::string_view s, const Value& chars, bool left, bool right) {
  if (!chars.is_undefined() && !chars.is_none() && !chars.is_string()) {
    fail("strip arg must be None or str, not " + chars.type_name());
  }
  size_t begin = 0, end = s.size();
  if (chars.is_string() && !all_whitespace(chars.as_string())) {
    const std::string& set = chars.as_string();
    if (left) {
      while (begin < end && set.find(s[begin]) != std::string::npos) ++begin;
    }
    if (right) {
      while (end > begin && set.find(s[end - 1]) != std::string::npos) --end;
    }
    return std::string(s.substr(begin, end - begin));
  }
  if (left) {
    while (begin < end) {
      size_t n = js_whitespace_at(s, begin);
      if (n == 0) break;
      begin += n;
    }
  }
  if (right) {
    while (end > begin) {
      size_t n = js_whitespace_before(s, end);
      if (n == 0) break;
      end -= n;
    }
  }
  return std::string(s.substr(begin, end - begin));
}

namespace {

// Decodes one UTF-8 character at s[i]; an invalid byte decodes to itself (length 1).
char32_t decode_at(std::string_view s, size_t i, size_t& length) {
  length = utf8_char_length(s, i);
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (length == 1) return c;
  char32_t cp = c & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Unicode simple case mapping from the C library's UTF-8 locale (ASCII-only without it).
locale_t utf8_locale() {
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

enum class CaseOp { upper, lower };

// Maps every character of s; invalid bytes pass through unchanged.
template <class Choose>
std::string map_case(std::string_view s, Choose choose) {
  locale_t loc = utf8_locale();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t length = 0;
    char32_t cp = decode_at(s, i, length);
    bool valid = length > 1 || cp < 0x80;
    CaseOp op = choose(cp);
    if (!valid) {
      out += s[i];
    } else if (loc) {
      wint_t mapped = op == CaseOp::upper ? towupper_l(static_cast<wint_t>(cp), loc) : towlower_l(static_cast<wint_t>(cp), loc);
      encode(static_cast<char32_t>(mapped), out);
    } else {
      encode(cp < 0x80 ? static_cast<char32_t>(op == CaseOp::upper ? std::toupper(static_cast<int>(cp)) : std::tolower(static_cast<int>(cp))) : cp, out);
    }
    i += length;
  }
  return out;
}

}  // namespace

std::string to_upper(std::string_view s) {
  return map_case(s, [](char32_t) { return CaseOp::upper; });
}

std::string to_lower(std::string_view s) {
  return map_case(s, [](char32_t) { return CaseOp::lower; });
}

std::string title_case(std::string_view s) {
  std::string out(s);
  auto is_word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    bool boundary = i == 0 || !is_word(static_cast<unsigned char>(out[i - 1]));
    if (boundary && is_word(c)) out[i] = static_cast<char>(std::toupper(c));
  }
  return out;
}

std::string capitalize(std::string_view s) {
  if (s.empty()) return std::string();
  size_t first = utf8_char_length(s, 0);
  std::string head = map_case(s.substr(0, first), [](char32_t) { return CaseOp::upper; });
  return head + std::string(s.substr(first));
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to, int64_t count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` between every character (and at both ends).
    int64_t done = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (i < s.size()) out += s[i];
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

std::vector<std::string> split(std::string_view s, const Value& sep, int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep.is_undefined() || sep.is_none()) {
    size_t i = 0;
    while (true) {
      while (i < s.size() && is_py_space(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
        size_t end = s.size();
        while (end > i && is_py_space(s[end - 1])) --end;
        parts.emplace_back(s.substr(i, end - i));
        break;
      }
      size_t start = i;
      while (i < s.size() && !is_py_space(s[i])) ++i;
      parts.emplace_back(s.substr(start, i - start));
    }
    return parts;
  }
  if (!sep.is_string()) fail("split separator must be a string, not " + sep.type_name());
  const std::string& d = sep.as_string();
  if (d.empty()) fail("split: empty separator");
  size_t pos = 0;
  while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
    size_t hit = s.find(d, pos);
    if (hit == std::string_view::npos) break;
    parts.emplace_back(s.substr(pos, hit - pos));
    pos = hit + d.size();
  }
  parts.emplace_back(s.substr(pos));
  return parts;
}

bool affix_matches(std::string_view s, const Value& affix, bool at_start) {
  auto one = [&](const Value& v) {
    if (!v.is_string()) fail("startswith/endswith take a string or a tuple of strings, not " + v.type_name());
    const std::string& a = v.as_string();
    if (a.size() > s.size()) return false;
    return at_start ? s.substr(0, a.size()) == a : s.substr(s.size() - a.size()) == a;
  };
  if (affix.is_array()) {
    for (const Value& v : affix.as_array()) {
      if (one(v)) return true;
    }
    return false;
  }
  return one(affix);
}

std::string percent_format(std::string_view format, const std::vector<Value>& args) {
  std::string out;
  size_t next_arg = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    size_t spec_start = i;
    ++i;
    while (i < format.size() && (std::isdigit(static_cast<unsigned char>(format[i])) || format[i] == '.' ||
                                 format[i] == '-' || format[i] == '+' || format[i] == ' ')) {
      ++i;
    }
    if (i >= format.size()) fail("incomplete format specifier");
    char conv = format[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next_arg >= args.size()) fail("not enough arguments for format string");
    const Value& arg = args[next_arg++];
    std::string flags(format.substr(spec_start + 1, i - spec_start - 1));
    if (flags.size() > 4) fail("format width/precision too large");
    char buf[512];
    switch (conv) {
      case 's': {
        std::string text = arg.is_none() ? "None" : arg.str();
        if (flags.empty()) {
          out += text;
        } else {
          std::snprintf(buf, sizeof buf, ("%" + flags + "s").c_str(), text.c_str());
          out += buf;
        }
        break;
      }
      case 'd':
      case 'i':
      case 'x':
        if (!arg.is_number() && !arg.is_bool()) fail("%" + std::string(1, conv) + " format: a number is required");
        std::snprintf(buf, sizeof buf, ("%" + flags + "ll" + (conv == 'x' ? "x" : "d")).c_str(),
                      static_cast<long long>(arg.is_float() ? static_cast<int64_t>(arg.as_double()) : arg.as_int()));
        out += buf;
        break;
      case 'f':
        if (!arg.is_number() && !arg.is_bool()) fail("%f format: a number is required");
        std::snprintf(buf, sizeof buf, ("%" + flags + "f").c_str(), arg.as_double());
        out += buf;
        break;
      default: fail(std::string("unsupported format character '") + conv + "'");
    }
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace edgenode::engine::jinja
