// Strings index by code point; these helpers give the engine that view of UTF-8 text. A
// byte that does not start a valid sequence counts as one character. Whitespace is
// JavaScript's (what the reference renderer trims and strips around tags).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgenode::engine::jinja {

// Length in bytes of the UTF-8 character starting at s[i] (1 for an invalid byte).
inline size_t utf8_char_length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

inline std::vector<std::string> utf8_chars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_char_length(s, i);
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}

inline size_t utf8_length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); i += utf8_char_length(s, i)) ++count;
  return count;
}

// JavaScript's whitespace for String#trim: ASCII whitespace, NBSP, BOM, the Zs spaces and
// the line/paragraph separators. Returns the byte length of the whitespace at s[i], or 0.
inline size_t js_whitespace_at(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
  if (c < 0x80) return 0;
  size_t n = utf8_char_length(s, i);
  if (n == 1) return 0;
  char32_t cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  bool space = cp == 0xA0 || cp == 0xFEFF || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
               cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  return space ? n : 0;
}

// Byte length of the whitespace character ending at s[end-1], or 0.
inline size_t js_whitespace_before(std::string_view s, size_t end) {
  size_t start = end;
  for (size_t back = 0; back < 4 && start > 0; ++back) {
    --start;
    if ((static_cast<unsigned char>(s[start]) & 0xC0) != 0x80) break;
  }
  size_t n = js_whitespace_at(s, start);
  return start + n == end ? n : 0;
}

}  // namespace edgenode::engine::jinja
