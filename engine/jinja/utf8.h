// Python strings index by code point; these helpers give the engine the same view of
// UTF-8 text. A byte that does not start a valid sequence counts as one character.
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

}  // namespace edgenode::engine::jinja
