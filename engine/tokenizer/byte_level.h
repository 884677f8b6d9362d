// GPT-2's byte-level alphabet: each of the 256 byte values stands for one printable code point,
// so a BPE vocabulary can spell arbitrary bytes as text ("Ġ" is the space byte).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgenode::engine::byte_level {

uint32_t codepoint_of(uint8_t byte);

// The UTF-8 text that spells these bytes in the byte-level alphabet.
std::string encode(std::string_view bytes);

// The bytes a byte-level string stands for; nullopt when it holds a character outside the
// alphabet (or is not valid UTF-8).
std::optional<std::string> decode(std::string_view text);

}  // namespace edgenode::engine::byte_level
