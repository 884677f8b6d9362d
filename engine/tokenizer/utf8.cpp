#include "engine/tokenizer/utf8.h"

namespace edgenode::engine::utf8 {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The range the second byte may take after a given lead byte (excludes overlong forms,
// surrogates and code points above U+10FFFF).
bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
  }
}

}  // namespace

size_t valid_prefix(std::string_view s, size_t pos, bool& complete) {
  complete = false;
  const auto lead = static_cast<uint8_t>(s[pos]);
  if (lead < 0x80) {
    complete = true;
    return 1;
  }
  if (lead < 0xC2 || lead > 0xF4) return 0;
  const size_t need = claimed_length(lead);
  size_t n = 1;
  while (n < need && pos + n < s.size()) {
    const auto b = static_cast<uint8_t>(s[pos + n]);
    const bool ok = n == 1 ? second_byte_ok(lead, b) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return n;
    ++n;
  }
  complete = n == need;
  return n;
}

size_t incomplete_tail(std::string_view s) {
  // A character is at most 4 bytes, so only the last 3 can begin an unfinished one.
  const size_t from = s.size() > 3 ? s.size() - 3 : 0;
  for (size_t pos = from; pos < s.size(); ++pos) {
    bool complete = false;
    const size_t n = valid_prefix(s, pos, complete);
    if (n > 0 && !complete && pos + n == s.size()) return n;
  }
  return 0;
}

void append_sanitized(std::string& out, std::string_view s) {
  size_t pos = 0;
  size_t clean_from = 0;  // start of the run of valid bytes not yet copied
  while (pos < s.size()) {
    if (static_cast<uint8_t>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    bool complete = false;
    const size_t n = valid_prefix(s, pos, complete);
    if (complete) {
      pos += n;
      continue;
    }
    out.append(s.substr(clean_from, pos - clean_from));
    out.append(kReplacement);
    pos += n == 0 ? 1 : n;
    clean_from = pos;
  }
  out.append(s.substr(clean_from));
}

void append_codepoint(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace edgenode::engine::utf8
