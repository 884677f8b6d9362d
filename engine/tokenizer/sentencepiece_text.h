// SentencePiece's spelling of text: a space is written U+2581 (LOWER ONE EIGHTH BLOCK).
#pragma once

#include <string>
#include <string_view>

namespace edgenode::engine::sentencepiece {

inline constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";

// Every space of text as U+2581.
std::string escape_spaces(std::string_view text);
// Every U+2581 of text as a space.
std::string unescape_spaces(std::string_view text);

}  // namespace edgenode::engine::sentencepiece
