#include "engine/tokenizer/byte_level.h"

#include <array>

#include "engine/tokenizer/utf8.h"

namespace edgenode::engine::byte_level {
namespace {

// Printable Latin-1 bytes stand for themselves; the others (controls, space, DEL, NBSP,
// soft hyphen) take the code points from U+0100 upwards in byte order.
struct Alphabet {
  std::array<uint32_t, 256> codepoint{};
  std::array<int16_t, 512> byte_of{};  // by code point; -1 outside the alphabet

  Alphabet() {
    byte_of.fill(-1);
    uint32_t next_extra = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      codepoint[b] = printable ? b : next_extra++;
      byte_of[codepoint[b]] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

uint32_t codepoint_of(uint8_t byte) { return alphabet().codepoint[byte]; }

std::string encode(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size() * 2);
  for (char c : bytes) utf8::append_codepoint(text, codepoint_of(static_cast<uint8_t>(c)));
  return text;
}

std::optional<std::string> decode(std::string_view text) {
  std::string bytes;
  bytes.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    bool complete = false;
    const size_t n = utf8::valid_prefix(text, pos, complete);
    if (!complete || n > 2) return std::nullopt;  // the alphabet stays below U+0800
    const auto b0 = static_cast<uint8_t>(text[pos]);
    const uint32_t cp = n == 1 ? b0 : ((b0 & 0x1Fu) << 6) | (static_cast<uint8_t>(text[pos + 1]) & 0x3Fu);
    if (cp >= alphabet().byte_of.size() || alphabet().byte_of[cp] < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(alphabet().byte_of[cp]));
    pos += n;
  }
  return bytes;
}

}  // namespace edgenode::engine::byte_level
