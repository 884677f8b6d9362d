// UTF-8 helpers for the tokenizers: sequence validation, replacement of invalid bytes with
// U+FFFD (one replacement per maximal invalid subpart, as the Unicode standard recommends),
// and the incomplete tail a streaming decoder must hold back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgenode::engine::utf8 {

// Bytes the sequence starting with `lead` claims (1 for ASCII and for bytes that cannot lead).
inline size_t claimed_length(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return lead < 0xF8 ? 4 : 1;
}

// How many bytes at s[pos] form a well-formed prefix of a UTF-8 sequence (0 when s[pos]
// cannot start one); `complete` tells whether that prefix is a whole character.
size_t valid_prefix(std::string_view s, size_t pos, bool& complete);

// Bytes at the end of s that start a well-formed but unfinished character (0..3).
size_t incomplete_tail(std::string_view s);

// Appends s to out, each invalid subsequence replaced by U+FFFD.
void append_sanitized(std::string& out, std::string_view s);

inline std::string sanitized(std::string_view s) {
  std::string out;
  append_sanitized(out, s);
  return out;
}

void append_codepoint(std::string& out, uint32_t cp);

}  // namespace edgenode::engine::utf8
